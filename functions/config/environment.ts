/**
 * Reading a Lambda's environment at cold start, the way every config loader here does: blank counts
 * as unset, and each problem is pushed to `problems` (naming the variable and what it should hold)
 * so that the loader reports them all at once instead of the first.
 */
export type Environment = Readonly<Record<string, string | undefined>>;

export interface EnvironmentReader {
  /** The trimmed value, or undefined when unset or blank. */
  read(name: string): string | undefined;
  /** The value; '' and a problem when it is missing. */
  required(name: string, what: string): string;
  /** An integer >= `min`, or `fallback` when unset; a problem when it is something else. */
  integer(name: string, fallback: number, min: number): number;
}

export function environmentReader(env: Environment, problems: string[]): EnvironmentReader {
  const read = (name: string): string | undefined => env[name]?.trim() || undefined;
  return {
    read,
    required(name, what) {
      const value = read(name);
      if (!value) problems.push(`${name} is required: ${what}.`);
      return value ?? '';
    },
    integer(name, fallback, min) {
      const raw = read(name);
      if (!raw) return fallback;
      const value = Number(raw);
      if (!Number.isInteger(value) || value < min) problems.push(`${name} must be an integer >= ${min} (got "${raw}"); unset it for the default ${fallback}.`);
      return value;
    },
  };
}
