import { ItemRejectedError } from '../../functions/messages/errors';
import { dynamoItemSize, fitToItemLimit, ITEM_BUDGET_BYTES, MAX_ITEM_BYTES } from '../../functions/messages/item-size';

describe('dynamoItemSize (DynamoDB Developer Guide, "Item sizes and formats")', () => {
  it.each([
    ['a string: name and value in UTF-8 bytes', { id: 'abc' }, 2 + 3],
    ['multi-byte text counts bytes, not characters', { t: 'é👍' }, 1 + 2 + 4],
    ['binary: its length', { raw: new Uint8Array(10) }, 3 + 10],
    ['a number: 1 byte per 2 significant digits, plus 1', { n: 12345 }, 1 + 4],
    ['a number of one digit', { n: 0 }, 1 + 2],
    ['null and booleans: 1 byte', { a: null, b: true }, 1 + 1 + 1 + 1],
    ['a map: 3 bytes, plus 1 per element, plus names and values', { m: { ab: 'xyz', c: null } }, 1 + 3 + (1 + 2 + 3) + (1 + 1 + 1)],
    ['a list: 3 bytes, plus 1 per element', { l: ['ab', 'c'] }, 1 + 3 + (1 + 2) + (1 + 1)],
    ['undefined attributes are not written', { a: 'x', b: undefined, m: { c: undefined } }, 1 + 1 + 1 + 3],
  ])('%s', (_label, item, size) => {
    expect(dynamoItemSize(item)).toBe(size);
  });
});

describe('fitToItemLimit', () => {
  const raw = new Uint8Array(100_000);

  it('keeps the item as it is when it fits', () => {
    const item = { pk: 'sms#A', raw, text: 'x'.repeat(200_000) };
    expect(fitToItemLimit(item, 'message A')).toEqual({ item });
  });

  it('drops the raw copy and flags it when the copy would take the item past the limit', () => {
    const text = 'x'.repeat(ITEM_BUDGET_BYTES - 100_000);
    expect(fitToItemLimit({ pk: 'sms#B', raw, text }, 'message B')).toEqual({
      item: { pk: 'sms#B', text, rawOmitted: 'too_large' },
      rawOmitted: 'too_large',
    });
  });

  it('refuses, as item_too_large, an item over the limit even without its raw copy', () => {
    const attempt = () => fitToItemLimit({ pk: 'sms#C', raw, text: 'é'.repeat(MAX_ITEM_BYTES / 2) }, 'message C');
    expect(attempt).toThrow(ItemRejectedError);
    expect(attempt).toThrow(/^message C takes \d+ bytes, which exceeds DynamoDB's 400 KB item limit even without its raw copy \(\d+ bytes with it\)$/);
    try {
      attempt();
    } catch (error) {
      expect(error).toMatchObject({ reason: 'item_too_large' });
    }
  });
});
