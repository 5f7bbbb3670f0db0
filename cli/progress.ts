import type { SimulateProgress } from './simulate';

/**
 * Progress of a long `simulate` run on stderr (stdout stays clean for --json): redrawn in place on
 * a terminal, a line every few seconds otherwise (CI logs, pipes).
 */

export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/** Runs expected to take longer than this show progress even when stderr is not a terminal. */
export const PROGRESS_THRESHOLD_MS = 3_000;
const LOG_INTERVAL_MS = 2_000;

export interface ProgressReporter {
  update(progress: SimulateProgress): void;
  /** Clears the in-place line, so what follows starts on a clean line. */
  done(): void;
}

export function shouldShowProgress(stream: ProgressStream, expectedDurationMs: number): boolean {
  return Boolean(stream.isTTY) || expectedDurationMs > PROGRESS_THRESHOLD_MS;
}

export function createProgressReporter(stream: ProgressStream, now: () => number = Date.now): ProgressReporter {
  let lastLogged = -Infinity;
  let drawn = false;
  const label = (progress: SimulateProgress) =>
    progress.phase === 'sending'
      ? `sending ${progress.done}/${progress.total}`
      : `waiting for deliveries ${progress.done}/${progress.total}`;
  return {
    update(progress) {
      if (stream.isTTY) {
        stream.write(`\r\x1b[2K${label(progress)}`);
        drawn = true;
        return;
      }
      const finished = progress.done === progress.total;
      if (finished || now() - lastLogged >= LOG_INTERVAL_MS) {
        stream.write(`${label(progress)}\n`);
        lastLogged = finished ? -Infinity : now();
      }
    },
    done() {
      if (drawn) stream.write('\r\x1b[2K');
      drawn = false;
    },
  };
}
