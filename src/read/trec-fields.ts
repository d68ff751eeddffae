/** C `isspace` in the C locale: what trec_eval splits TREC run and qrels lines on (not Unicode spaces). */
const C_SPACE = /[ \t\n\v\f\r]+/;

/**
 * The whitespace-separated fields of a TREC run or qrels line, or undefined for a line trec_eval skips:
 * blank, or a `#` comment (its first non-blank character).
 */
export function trecFields(text: string): string[] | undefined {
  const fields = text.split(C_SPACE);
  if (fields[0] === '') fields.shift();
  if (fields[fields.length - 1] === '') fields.pop();
  const first = fields[0];
  return first === undefined || first.startsWith('#') ? undefined : fields;
}

/** C_SPACE one character at a time: space, tab, LF, VT, FF, CR. */
const isCSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d);

/** The fields a run line needs, scanned without splitting all of them; undefined for a line trecFields skips. */
export interface RunLineFields {
  /** How many fields the line has (trec_eval needs 6). */
  count: number;
  queryId: string | undefined;
  docId: string | undefined;
  score: string | undefined;
}

/**
 * trecFields for the hot path of a run file (millions of lines): the same split on C whitespace and the
 * same blank and `#` lines skipped, but only fields 1, 3 and 5 become strings.
 */
export function runLineFields(text: string): RunLineFields | undefined {
  const picked: (string | undefined)[] = [undefined, undefined, undefined];
  let count = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && isCSpace(text.charCodeAt(i))) i++;
    if (i >= n) break;
    const start = i;
    while (i < n && !isCSpace(text.charCodeAt(i))) i++;
    if (count === 0 && text.charCodeAt(start) === 0x23) return undefined;
    if (count === 0 || count === 2 || count === 4) picked[count / 2] = text.slice(start, i);
    count++;
  }
  if (count === 0) return undefined;
  return { count, queryId: picked[0], docId: picked[1], score: picked[2] };
}
