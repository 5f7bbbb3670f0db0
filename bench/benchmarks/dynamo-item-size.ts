/**
 * The size DynamoDB bills an item at, from its plain (unmarshalled) value, following the rules
 * AWS documents: names and values in UTF-8 bytes, binaries by length, numbers about one byte per
 * two digits plus one, maps and lists 3 bytes plus 1 per element. Close enough to give the
 * baseline items the size of ours.
 */
export function dynamoItemSize(item: Readonly<Record<string, unknown>>): number {
  return namedValuesSize(item, 0);
}

function namedValuesSize(values: Readonly<Record<string, unknown>>, perElementOverhead: number): number {
  let size = 0;
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) continue;
    size += Buffer.byteLength(name) + perElementOverhead + valueSize(value);
  }
  return size;
}

function valueSize(value: unknown): number {
  if (value === null || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number') return Math.ceil(String(Math.abs(value)).replace(/\D/g, '').length / 2) + 1;
  if (value instanceof Uint8Array) return value.length;
  if (Array.isArray(value)) return 3 + value.reduce<number>((sum, element) => sum + 1 + valueSize(element), 0);
  if (typeof value === 'object') return 3 + namedValuesSize(value as Record<string, unknown>, 1);
  throw new Error(`no DynamoDB size for a value of type ${typeof value}`);
}
