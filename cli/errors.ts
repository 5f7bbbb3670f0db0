/**
 * Errors of the operator CLI. Commands throw them; only the entry (bin/cli.ts) turns them into
 * exit codes, so every command stays a plain function that tests can call.
 */

export const EXIT_CODE = {
  ok: 0,
  /** The operation ran and failed, in part or in whole (a simulated event not accepted, a dead letter not moved). */
  failed: 1,
  /** Nothing was attempted: bad flags, no target found, missing configuration. */
  usage: 2,
} as const;

/** The command line asks for something that cannot be done as given. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The place the command should work on cannot be found or reached as configured. */
export class TargetError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TargetError';
  }
}

/** `--stack` names a stack that CloudFormation does not know in that account and region. */
export class StackNotFoundError extends TargetError {
  constructor(readonly stackName: string, readonly region: string | undefined, options?: { cause?: unknown }) {
    super(
      `stack ${stackName} not found${region ? ` in ${region}` : ''}: check the name (cdk deploy prints it), --region and your AWS profile`,
      options,
    );
    this.name = 'StackNotFoundError';
  }
}

/** An endpoints.json left behind by a local pipeline that is no longer running. */
export class LocalPipelineStoppedError extends TargetError {
  constructor(readonly path: string, readonly pid: number) {
    super(`the local pipeline that wrote ${path} (pid ${pid}) is not running: start it with \`npm start\``);
    this.name = 'LocalPipelineStoppedError';
  }
}
