/**
 * Formats a number like C printf `%.<digits>f` with glibc: the exact binary value is rounded, and exact
 * ties go to the even digit (JS toFixed would round them away from zero, e.g. 0.03125 -> "0.0313"
 * where printf gives "0.0312"). NaN and infinities print as "nan", "inf", "-inf".
 * @param digits decimals, default 4.
 */
export function formatFixed(value: number, digits = 4): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  const magnitude = Math.abs(value);
  // A double halfway between two d-decimal numbers is an odd multiple of 2^-(d+1) (5^d must divide
  // the odd numerator), so ties are detected exactly by scaling with a power of two.
  const scaled = magnitude * 2 ** (digits + 1);
  const odd = Number.isInteger(scaled) && scaled % 2 === 1;
  const twiceUnits = scaled * 5 ** digits; // = 2 * magnitude * 10^digits, exact when safe
  if (!odd || !Number.isSafeInteger(twiceUnits)) return value.toFixed(digits);
  const down = (twiceUnits - 1) / 2;
  const units = down % 2 === 0 ? down : down + 1;
  const text = String(units).padStart(digits + 1, '0');
  const sign = value < 0 ? '-' : '';
  return digits === 0 ? `${sign}${text}` : `${sign}${text.slice(0, -digits)}.${text.slice(-digits)}`;
}
