/**
 * Parse a Retry-After header: delay-seconds (`120`, fractions tolerated) or an HTTP-date. Returns the
 * wait in ms (never negative), or undefined when absent or unreadable.
 */
export function parseRetryAfter(header: string | null | undefined, now: number = Date.now()): number | undefined {
  if (header === null || header === undefined) return undefined;
  const value = header.trim();
  if (value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  // An HTTP-date always names a month (and usually a weekday); this keeps '-1' or '2024' from parsing as years.
  if (!/[a-z]/i.test(value)) return undefined;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
