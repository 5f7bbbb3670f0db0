import fc from 'fast-check';
import { normaliseText } from '../../functions/keywords/keyword';
import {
  DEFAULT_OPT_OUT_WORDS,
  judgeOptOut,
  optOutWords,
  readOptOutWords,
  type OptOutVerdict,
} from '../../functions/optouts/words';

describe('judgeOptOut with the default words', () => {
  it.each<[string, OptOutVerdict]>([
    ['STOP', { kind: 'match', action: 'stop', word: 'STOP' }],
    ['stop', { kind: 'match', action: 'stop', word: 'STOP' }],
    ['  Stop!! ', { kind: 'match', action: 'stop', word: 'STOP' }],
    ['Stop SMS', { kind: 'match', action: 'stop', word: 'STOP SMS' }],
    ['stop-sms', { kind: 'match', action: 'stop', word: 'STOP SMS' }],
    ['stopall', { kind: 'match', action: 'stop', word: 'STOPALL' }],
    ['Arrêt', { kind: 'match', action: 'stop', word: 'ARRET' }],
    ['ARRET.', { kind: 'match', action: 'stop', word: 'ARRET' }],
    ['unsubscribe', { kind: 'match', action: 'stop', word: 'UNSUBSCRIBE' }],
    ['Cancel', { kind: 'match', action: 'stop', word: 'CANCEL' }],
    ['end', { kind: 'match', action: 'stop', word: 'END' }],
    ['QUIT', { kind: 'match', action: 'stop', word: 'QUIT' }],
    ['start', { kind: 'match', action: 'start', word: 'START' }],
    ['Unstop', { kind: 'match', action: 'start', word: 'UNSTOP' }],
    ['yes!', { kind: 'match', action: 'start', word: 'YES' }],
    ['stop svp', { kind: 'suspected', word: 'STOP' }],
    ['Stop. Thanks', { kind: 'suspected', word: 'STOP' }],
    ['please stop', { kind: 'suspected', word: 'STOP' }],
    ['Arrêt merci', { kind: 'suspected', word: 'ARRET' }],
    ['stop stop', { kind: 'suspected', word: 'STOP' }],
    ['stopping by later', { kind: 'none' }],
    ["I can't stop laughing", { kind: 'none' }],
    ['yes please', { kind: 'none' }],
    ['hello', { kind: 'none' }],
    ['😀', { kind: 'none' }],
    ['', { kind: 'none' }],
  ])('%j -> %j', (text, verdict) => {
    expect(judgeOptOut(text, DEFAULT_OPT_OUT_WORDS)).toEqual(verdict);
  });

  it('matches only when the whole normalised text is the word', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        const verdict = judgeOptOut(text, DEFAULT_OPT_OUT_WORDS);
        if (verdict.kind !== 'match') return true;
        return normaliseText(text) === verdict.word;
      }),
    );
  });

  it('never applies a stop word with anything around it, whatever the case and punctuation', () => {
    const stopWord = fc.constantFrom(...DEFAULT_OPT_OUT_WORDS.stop);
    const extra = fc.stringMatching(/^[a-zA-Z]{1,8}$/);
    fc.assert(
      fc.property(stopWord, extra, fc.boolean(), fc.constantFrom(' ', '. ', ', ', '! '), (word, other, before, gap) => {
        const text = before ? `${other}${gap}${word.toLowerCase()}` : `${word.toLowerCase()}${gap}${other}`;
        const verdict = judgeOptOut(text, DEFAULT_OPT_OUT_WORDS);
        // "stop" + "sms" is itself the stop word STOP SMS: a match of that word, never of the shorter one.
        return verdict.kind === 'suspected' || (verdict.kind === 'match' && verdict.word === normaliseText(text));
      }),
    );
  });
});

describe('configured words', () => {
  it('normalises and de-duplicates them', () => {
    expect(optOutWords({ stop: ['Arrêt', 'ARRET', 'halt!'], start: ['go on'] })).toEqual({ stop: ['ARRET', 'HALT'], start: ['GO ON'] });
  });

  it.each([
    ['a word both stop and start', { stop: ['STOP', 'yes'], start: ['Yes'] }, /"YES" is both a stop and a start word/],
    ['a word without letters', { stop: ['STOP', '!!'], start: [] }, /stop word "!!" has no letter or digit/],
    ['no stop word', { stop: [], start: ['START'] }, /at least one stop word/],
  ])('refuses %s', (_case, words, message) => {
    expect(() => optOutWords(words)).toThrow(message);
  });

  it('reads the environment: undefined (the defaults) when unset, and a list unset keeps its defaults', () => {
    const problems: string[] = [];
    expect(readOptOutWords({}, problems)).toBeUndefined();
    expect(readOptOutWords({ OPT_OUT_STOP_WORDS: 'halt' }, problems)).toEqual({ stop: ['HALT'], start: DEFAULT_OPT_OUT_WORDS.start });
    expect(readOptOutWords({ OPT_OUT_STOP_WORDS: 'stop, halt ,', OPT_OUT_START_WORDS: 'start' }, problems)).toEqual({
      stop: ['STOP', 'HALT'],
      start: ['START'],
    });
    expect(problems).toEqual([]);
  });

  it('reports a bad environment naming its variables', () => {
    const problems: string[] = [];
    readOptOutWords({ OPT_OUT_STOP_WORDS: 'STOP', OPT_OUT_START_WORDS: 'stop' }, problems);
    expect(problems).toEqual([
      'OPT_OUT_STOP_WORDS / OPT_OUT_START_WORDS (comma-separated words, e.g. "STOP,ARRET"): "STOP" is both a stop and a start word.',
    ]);
  });
});
