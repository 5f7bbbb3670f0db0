import type * as z from 'zod/mini';

/**
 * English words for a schema issue, in the `detail` an operator reads on a quarantined body.
 * zod/mini ships without messages (each issue reads "Invalid input"), and its English locale is an
 * ES module a CommonJS test run cannot load; this covers what our schemas can report, in the words
 * classic zod used. It names types and bounds, never the value: that is a stranger's bytes.
 * Messages a schema gives itself (a CALLR date it could not read) take precedence.
 */
export const issueMessage: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      return `Invalid input: expected ${issue.expected}, received ${typeName(issue.input)}`;
    case 'too_small':
      return `Too small: expected ${issue.origin} to ${bound('>', issue.minimum, issue.inclusive, issue.origin)}`;
    case 'too_big':
      return `Too big: expected ${issue.origin} to ${bound('<', issue.maximum, issue.inclusive, issue.origin)}`;
    case 'invalid_value':
      return `Invalid input: expected ${issue.values.map((value) => JSON.stringify(value)).join(' or ')}`;
    case 'invalid_format':
      return `Invalid ${issue.format}`;
    case 'invalid_union':
      return 'Invalid input: matches none of the accepted forms';
    default:
      return undefined; // zod's own "Invalid input"
  }
};

function bound(direction: '>' | '<', limit: number | bigint, inclusive: boolean | undefined, origin: string): string {
  const comparison = `${direction}${inclusive === false ? '' : '='}${String(limit)}`;
  return origin === 'string' ? `have ${comparison} characters` : origin === 'array' ? `have ${comparison} items` : `be ${comparison}`;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
