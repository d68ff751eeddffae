/**
 * Compares two strings in the order of their UTF-8 bytes (C `strcmp` on UTF-8 text, as trec_eval does),
 * without encoding them. UTF-8 byte order equals Unicode code point order; JS `<` compares UTF-16 code
 * units, which disagrees for characters U+E000..U+FFFF against supplementary characters (surrogate
 * pairs), so those code units are shifted before comparing. Lone surrogates (not valid text) are not
 * handled like Buffer's U+FFFD replacement.
 * @returns a negative number, 0 or a positive number, like Buffer.compare.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = fixUp(x);
      y = fixUp(y);
    }
    return x < y ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** Moves surrogates (D800..DFFF) above E000..FFFF, so code unit order becomes code point order. */
function fixUp(c: number): number {
  return c >= 0xe000 ? c - 0x800 : c + 0x2000;
}
