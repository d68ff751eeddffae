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
