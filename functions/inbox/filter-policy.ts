import { INBOX_ATTRIBUTE, INBOX_KINDS } from './message';

/**
 * A subscriber's SNS filter policy on the inbox's message attributes (docs/infrastructure.md#fan-out):
 * attribute name → the conditions of which one must match, e.g.
 * `{ kind: ['sms.mo'], keyword: ['HELP', 'INFO'] }` or `{ to: [{ prefix: '+3361' }] }`.
 * Checked here, at synth (and in local mode), because SNS only refuses a bad policy at deploy
 * time, and a policy on an attribute the inbox never sets deploys fine and matches nothing.
 */
export type InboxFilterCondition =
  | string
  | number
  | { readonly prefix: string }
  | { readonly suffix: string }
  | { readonly 'equals-ignore-case': string }
  | { readonly 'anything-but': string | number | readonly string[] | readonly number[] | { readonly prefix: string } }
  | { readonly exists: boolean }
  | { readonly numeric: readonly (string | number)[] };

export type InboxAttributeName = (typeof INBOX_ATTRIBUTE)[keyof typeof INBOX_ATTRIBUTE];

export type InboxFilterPolicy = { readonly [name in InboxAttributeName]?: readonly InboxFilterCondition[] };

/** SNS's limits on one filter policy. */
export const FILTER_POLICY_LIMITS = { attributes: 5, combinations: 150 } as const;

const ATTRIBUTE_NAMES: readonly string[] = Object.values(INBOX_ATTRIBUTE);
const KINDS: readonly string[] = Object.values(INBOX_KINDS);
const NUMERIC_ATTRIBUTES: readonly string[] = [INBOX_ATTRIBUTE.schemaVersion];
const NUMERIC_OPERATORS = ['=', '<', '<=', '>', '>='];

/** Every problem with a filter policy, each starting with `label`; none when it is one SNS takes and that can match. */
export function findFilterPolicyProblems(policy: unknown, label: string): string[] {
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy)) {
    return [`${label} must be an object of attribute name → list of conditions, e.g. { kind: ['sms.mo'], keyword: ['HELP'] }`];
  }
  const problems: string[] = [];
  const entries = Object.entries(policy as Record<string, unknown>);
  if (entries.length === 0) problems.push(`${label} is empty: leave the filter out to receive every inbox message`);
  if (entries.length > FILTER_POLICY_LIMITS.attributes) {
    problems.push(`${label} names ${entries.length} attributes; SNS takes at most ${FILTER_POLICY_LIMITS.attributes}`);
  }
  let combinations = 1;
  for (const [name, conditions] of entries) {
    const where = `${label}.${name}`;
    if (!ATTRIBUTE_NAMES.includes(name)) {
      problems.push(`${where}: the inbox sets no attribute "${name}" (it sets ${ATTRIBUTE_NAMES.join(', ')}), so this would match nothing`);
      continue;
    }
    if (!Array.isArray(conditions) || conditions.length === 0) {
      problems.push(`${where} must be a non-empty list of conditions, e.g. ${name}: [${NUMERIC_ATTRIBUTES.includes(name) ? '1' : "'value'"}]`);
      continue;
    }
    combinations *= conditions.length;
    for (const condition of conditions as unknown[]) {
      const problem = conditionProblem(name, condition);
      if (problem) problems.push(`${where}: ${problem}`);
    }
  }
  if (combinations > FILTER_POLICY_LIMITS.combinations) {
    problems.push(`${label} has ${combinations} combinations of values; SNS takes at most ${FILTER_POLICY_LIMITS.combinations}`);
  }
  return problems;
}

function conditionProblem(name: string, condition: unknown): string | undefined {
  const numeric = NUMERIC_ATTRIBUTES.includes(name);
  if (typeof condition === 'string') {
    if (numeric) return `${JSON.stringify(condition)} is a string; ${name} is a Number attribute: write ${condition} or { numeric: ['=', ${condition}] }`;
    if (name === INBOX_ATTRIBUTE.kind && !KINDS.includes(condition)) return `"${condition}" is no inbox kind (${KINDS.join(', ')})`;
    return undefined;
  }
  if (typeof condition === 'number') {
    return numeric ? undefined : `${condition} is a number; ${name} is a String attribute: write '${condition}'`;
  }
  if (typeof condition !== 'object' || condition === null || Array.isArray(condition)) {
    return `${JSON.stringify(condition)} is not a condition (a value, or one of { prefix }, { suffix }, { 'equals-ignore-case' }, { 'anything-but' }, { exists }, { numeric })`;
  }
  const keys = Object.keys(condition);
  const [operator] = keys;
  const value = (condition as Record<string, unknown>)[operator ?? ''];
  if (keys.length !== 1 || operator === undefined) return `${JSON.stringify(condition)} must hold exactly one operator`;
  switch (operator) {
    case 'prefix':
    case 'suffix':
    case 'equals-ignore-case':
      if (numeric) return `${operator} applies to String attributes; ${name} is a Number`;
      return typeof value === 'string' && value !== '' ? undefined : `${operator} takes a non-empty string`;
    case 'exists':
      return typeof value === 'boolean' ? undefined : 'exists takes true or false';
    case 'numeric':
      if (!numeric) return `numeric applies to Number attributes (${NUMERIC_ATTRIBUTES.join(', ')}); ${name} is a String`;
      return isNumericRange(value) ? undefined : "numeric takes operator/number pairs, e.g. ['>=', 1, '<', 2]";
    case 'anything-but': {
      const values = Array.isArray(value) ? (value as unknown[]) : [value];
      const expected = numeric ? 'number' : 'string';
      if (!numeric && typeof value === 'object' && value !== null && !Array.isArray(value)) {
        const prefix = (value as Record<string, unknown>).prefix;
        return Object.keys(value).length === 1 && typeof prefix === 'string' && prefix !== '' ? undefined : "anything-but takes values or { prefix: '...' }";
      }
      return values.length > 0 && values.every((item) => typeof item === expected) ? undefined : `anything-but takes ${expected} values for ${name}`;
    }
    default:
      return `unknown operator "${operator}" (prefix, suffix, equals-ignore-case, anything-but, exists, numeric)`;
  }
}

function isNumericRange(value: unknown): boolean {
  if (!Array.isArray(value) || value.length === 0 || value.length % 2 !== 0 || value.length > 4) return false;
  for (let index = 0; index < value.length; index += 2) {
    if (!NUMERIC_OPERATORS.includes(value[index] as string) || typeof value[index + 1] !== 'number') return false;
  }
  return true;
}
