/**
 * Plain-text rendering for humans. `--json` output never goes through here: scripts get the data
 * exactly as the commands return it.
 */

/**
 * Characters a terminal acts on rather than shows: C0 (NUL, BEL, BS, ESC, which starts colour, cursor
 * and title sequences), DEL, C1 (U+009B alone is a CSI on many terminals), the line and paragraph
 * separators, and the bidi marks, embeddings, overrides and isolates that reorder what follows them
 * on screen. Anyone who can text our number chooses the text we print, so none of these is printed raw.
 */
const TERMINAL_CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text for a terminal, with every control character written as an escape: `\x1b` for C0, DEL and C1,
 * `\u202e` above. Everything else (any script, emoji) is left as it is. Used for every table cell,
 * and for any other line that quotes text from outside (SQS failures, CALLR's error messages).
 */
export function escapeForTerminal(text: string): string {
  return text.replace(TERMINAL_CONTROLS, (character) => {
    const code = character.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Cuts a text to one line of at most `max` characters (code points, so emoji are never split). */
export function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const characters = [...flat];
  return characters.length <= max ? flat : `${characters.slice(0, max - 1).join('')}…`;
}

/** Width on a terminal: East Asian wide characters and emoji take two columns. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const character of text) {
    const code = character.codePointAt(0)!;
    const wide =
      (code >= 0x1100 && code <= 0x115f) ||
      (code >= 0x2e80 && code <= 0xa4cf) ||
      (code >= 0xac00 && code <= 0xd7a3) ||
      (code >= 0xf900 && code <= 0xfaff) ||
      (code >= 0xfe30 && code <= 0xfe4f) ||
      (code >= 0xff00 && code <= 0xff60) ||
      (code >= 0xffe0 && code <= 0xffe6) ||
      (code >= 0x1f300 && code <= 0x1faff) ||
      (code >= 0x20000 && code <= 0x3fffd);
    const zeroWidth = code === 0x200d || (code >= 0xfe00 && code <= 0xfe0f);
    width += zeroWidth ? 0 : wide ? 2 : 1;
  }
  return width;
}

/** Columns aligned on their widest cell; the last column is not padded. Every cell is escaped (`escapeForTerminal`). */
export function renderTable(rawHeaders: readonly string[], rawRows: ReadonlyArray<readonly string[]>): string {
  const headers = rawHeaders.map(escapeForTerminal);
  const rows = rawRows.map((row) => row.map(escapeForTerminal));
  const widths = headers.map((header, column) =>
    Math.max(displayWidth(header), ...rows.map((row) => displayWidth(row[column] ?? ''))),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell + ' '.repeat(widths[column]! - displayWidth(cell))))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

export const plural = (count: number, singular: string, pluralForm = `${singular}s`): string =>
  `${count} ${count === 1 ? singular : pluralForm}`;
