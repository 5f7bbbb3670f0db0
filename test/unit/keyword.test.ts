import fc from 'fast-check';
import { keywordOf, MAX_KEYWORD_LENGTH, normaliseText, parseKeyword } from '../../functions/keywords/keyword';

describe('normaliseText', () => {
  it.each([
    ['Stop', 'STOP'],
    ['  stop  ', 'STOP'],
    ['STOP!!!', 'STOP'],
    ['Stop. Thanks', 'STOP THANKS'],
    ['Arrêt', 'ARRET'],
    ['ARRÊT', 'ARRET'],
    ["Arrêt, s'il vous plaît !", 'ARRET SIL VOUS PLAIT'],
    ['don’t', 'DONT'],
    ['stop\tsms\n', 'STOP SMS'],
    ['STOP-SMS', 'STOP SMS'],
    ['Ｓｔｏｐ', 'STOP'], // full-width letters
    ['ﬁn', 'FIN'], // ligature
    ['straße', 'STRASSE'],
    ['Ça va 👍', 'CA VA'],
    ['vote 2', 'VOTE 2'],
    ['😀🎉', ''],
    ['', ''],
    ['...', ''],
  ])('%j -> %j', (text, expected) => {
    expect(normaliseText(text)).toBe(expected);
  });

  it('is idempotent', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (text) => normaliseText(normaliseText(text)) === normaliseText(text)));
  });

  it('gives words of upper-case letters and digits, one space apart, nothing around', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        const normalised = normaliseText(text);
        return normalised === '' || /^[\p{L}\p{N}]+( [\p{L}\p{N}]+)*$/u.test(normalised);
      }),
    );
  });

  it('ignores case and the punctuation and spaces around words', () => {
    const word = fc.stringMatching(/^[a-zA-Z0-9]{1,12}$/);
    const gap = fc.stringMatching(/^[ .,;:!?\-\t\n]{1,4}$/);
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 5 }), gap, gap, gap, (words, before, between, after) => {
        const text = `${before}${words.join(between)}${after}`;
        return normaliseText(text) === words.join(' ').toUpperCase();
      }),
    );
  });

  it('ignores accents: a letter with combining marks reads as the letter', () => {
    const marks = fc.array(fc.integer({ min: 0x300, max: 0x36f }).map((code) => String.fromCodePoint(code)), { maxLength: 3 });
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z]{1,10}$/), fc.array(marks), (word, perLetter) => {
        const accented = [...word].map((letter, index) => letter + (perLetter[index] ?? []).join('')).join('');
        return normaliseText(accented) === word.toUpperCase();
      }),
    );
  });
});

describe('keywordOf', () => {
  it.each([
    ['VOTE A', 'VOTE'],
    ['vote a', 'VOTE'],
    ['  ¡Hola! amigos', 'HOLA'],
    ['Arrêt', 'ARRET'],
    ['#help me', 'HELP'],
    ['😀 help', 'HELP'],
    ['😀🎉', null],
    ['', null],
    ['a'.repeat(MAX_KEYWORD_LENGTH), 'A'.repeat(MAX_KEYWORD_LENGTH)],
    ['a'.repeat(MAX_KEYWORD_LENGTH + 1), null],
  ])('%j -> %j', (text, expected) => {
    expect(keywordOf(text)).toBe(expected);
  });

  it('is the first word of the normalised text, and its own keyword', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        const keyword = keywordOf(text);
        if (keyword === null) return true;
        return normaliseText(text).split(' ')[0] === keyword && keywordOf(keyword) === keyword;
      }),
    );
  });
});

describe('parseKeyword', () => {
  it.each([
    ['vote', 'VOTE'],
    [' Arrêt ', 'ARRET'],
    ['HELP!', 'HELP'],
    ['two words', null],
    ['', null],
    ['!!', null],
    ['x'.repeat(MAX_KEYWORD_LENGTH + 1), null],
  ])('%j -> %j', (input, expected) => {
    expect(parseKeyword(input)).toBe(expected);
  });

  it('finds what keywordOf stored', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        const keyword = keywordOf(text);
        return keyword === null || parseKeyword(keyword.toLowerCase()) === keywordOf(keyword.toLowerCase());
      }),
    );
  });
});
