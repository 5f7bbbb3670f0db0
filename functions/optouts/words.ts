import { normaliseText } from '../keywords/keyword';
import type { OPT_OUT_ACTIONS } from '../messages/inbound-message';

/**
 * The words that opt a sender out of our SMS (stop words) and back in (start words), and how an
 * inbound text is judged against them. Pure. Words and texts are compared normalised
 * (normaliseText: case, accents and punctuation ignored), and only the WHOLE text counts: "Stop!"
 * and "arrêt" opt out, "stop svp" does not. A near miss is flagged for a person to read, never
 * applied: the registry changes only on what the sender unmistakably asked.
 */

/** The usual opt-out and opt-in words of English and French SMS; configurable (OPT_OUT_WORDS_VARIABLES, the construct's optOutWords). */
export const DEFAULT_STOP_WORDS: readonly string[] = ['STOP', 'STOP SMS', 'STOPALL', 'ARRET', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT'];
export const DEFAULT_START_WORDS: readonly string[] = ['START', 'UNSTOP', 'YES'];

/** The environment variables (comma-separated words), read by the persist Lambda and local mode. */
export const OPT_OUT_WORDS_VARIABLES = { stop: 'OPT_OUT_STOP_WORDS', start: 'OPT_OUT_START_WORDS' } as const;

export interface OptOutWords {
  /** Normalised (normaliseText), each unique. */
  readonly stop: readonly string[];
  readonly start: readonly string[];
}

export type OptOutAction = (typeof OPT_OUT_ACTIONS)[number];

export type OptOutVerdict =
  /** The whole text is this word: the registry applies it. */
  | { readonly kind: 'match'; readonly action: OptOutAction; readonly word: string }
  /** The text begins or ends with a stop word but is not one ("stop svp", "Stop. Thanks", "please stop"). */
  | { readonly kind: 'suspected'; readonly word: string }
  | { readonly kind: 'none' };

/**
 * Checks and normalises configured words. Throws an Error naming every problem: a word that is
 * empty once normalised, or one both a stop and a start word (the registry could not tell what
 * it means).
 */
export function optOutWords(words: { readonly stop: readonly string[]; readonly start: readonly string[] }): OptOutWords {
  const problems: string[] = [];
  const normalise = (list: readonly string[], what: string) => {
    const normalised = list.map((word) => [word, normaliseText(word)] as const);
    for (const [word, value] of normalised) if (value === '') problems.push(`${what} word "${word}" has no letter or digit`);
    return [...new Set(normalised.map(([, value]) => value).filter((value) => value !== ''))];
  };
  const stop = normalise(words.stop, 'stop');
  const start = normalise(words.start, 'start');
  if (stop.length === 0) problems.push('there must be at least one stop word: without one, nobody could opt out');
  for (const word of stop.filter((value) => start.includes(value))) problems.push(`"${word}" is both a stop and a start word`);
  if (problems.length > 0) throw new Error(problems.join('; '));
  return { stop, start };
}

export const DEFAULT_OPT_OUT_WORDS: OptOutWords = optOutWords({ stop: DEFAULT_STOP_WORDS, start: DEFAULT_START_WORDS });

/**
 * The words from the environment (OPT_OUT_WORDS_VARIABLES, comma-separated; a list unset keeps its
 * defaults), adding to `problems` what is wrong, each naming its variable. Undefined when neither
 * variable is set: the defaults.
 */
export function readOptOutWords(env: Readonly<Record<string, string | undefined>>, problems: string[]): OptOutWords | undefined {
  const list = (name: string) => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.split(',').filter((word) => word.trim() !== '');
  };
  const stop = list(OPT_OUT_WORDS_VARIABLES.stop);
  const start = list(OPT_OUT_WORDS_VARIABLES.start);
  if (stop === undefined && start === undefined) return undefined;
  try {
    return optOutWords({ stop: stop ?? DEFAULT_STOP_WORDS, start: start ?? DEFAULT_START_WORDS });
  } catch (error) {
    problems.push(
      `${OPT_OUT_WORDS_VARIABLES.stop} / ${OPT_OUT_WORDS_VARIABLES.start} (comma-separated words, e.g. "STOP,ARRET"): ${(error as Error).message}.`,
    );
    return undefined;
  }
}

/** Judges an inbound text against the words. */
export function judgeOptOut(text: string, words: OptOutWords): OptOutVerdict {
  const normalised = normaliseText(text);
  if (normalised === '') return { kind: 'none' };
  const stop = words.stop.find((word) => word === normalised);
  if (stop) return { kind: 'match', action: 'stop', word: stop };
  const start = words.start.find((word) => word === normalised);
  if (start) return { kind: 'match', action: 'start', word: start };
  // Word boundaries are spaces once normalised: "STOPPING" does not begin with the word STOP.
  const suspected = words.stop.find((word) => normalised.startsWith(`${word} `) || normalised.endsWith(` ${word}`));
  return suspected ? { kind: 'suspected', word: suspected } : { kind: 'none' };
}
