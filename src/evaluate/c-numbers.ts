/**
 * The C library's number reading and rounding as trec_eval uses them on its measure parameters
 * (`atof`, `atol`, `lround`): what a parameter such as `P.5,7,3` or `iprec_at_recall..10` means to it.
 */

/** C `isspace` in the C locale. */
const C_SPACE = /^[ \t\n\v\f\r]*/;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?/;
const SPECIAL = /^([+-]?)(inf(?:inity)?|nan(?:\([0-9A-Za-z_]*\))?)/i;

/**
 * C `atof` (glibc `strtod`): the longest prefix that reads as a number after leading blanks, decimal or
 * hexadecimal, `inf`/`infinity`/`nan` in any case; 0 when none does (`atof("abc")` is 0, `atof(".5,")` 0.5).
 */
export function atof(text: string): number {
  const rest = text.replace(C_SPACE, '');
  const special = SPECIAL.exec(rest);
  if (special !== null) {
    const negative = special[1] === '-';
    if ((special[2] ?? '').toLowerCase().startsWith('inf')) return negative ? -Infinity : Infinity;
    return Number.NaN;
  }
  const hex = HEX.exec(rest);
  if (hex !== null && ((hex[2] ?? '') !== '' || (hex[3] ?? '') !== '')) {
    const digits = `${hex[2] ?? ''}${hex[3] ?? ''}`;
    const mantissa = Number(BigInt(`0x${digits === '' ? '0' : digits}`));
    const value = mantissa * 2 ** (Number(hex[4] ?? '0') - 4 * (hex[3] ?? '').length);
    return hex[1] === '-' ? -value : value;
  }
  if (hex !== null) return 0; // "0x" alone: strtod reads the 0
  const decimal = DECIMAL.exec(rest);
  return decimal === null ? 0 : Number(decimal[0]);
}

/**
 * C `atol` (glibc `strtol`, base 10): the optionally signed digits after leading blanks; 0 when there are
 * none (`atol("23.4")` is 23, `atol("x")` 0); clamped to the range of a 64-bit long.
 */
export function atol(text: string): number {
  const match = /^[+-]?\d+/.exec(text.replace(C_SPACE, ''));
  if (match === null) return 0;
  const value = BigInt(match[0]);
  const max = 2n ** 63n - 1n;
  return Number(value > max ? max : value < -max - 1n ? -max - 1n : value);
}

/** C `lround`: the nearest integer, halfway cases away from zero (JS Math.round rounds -2.5 to -2, lround to -3). */
export function lround(value: number): number {
  const whole = Math.trunc(value);
  // value - whole is exact for a double, so the halfway test is too.
  return Math.abs(value - whole) >= 0.5 ? whole + Math.sign(value) : whole;
}

/** C `(long) value`: truncation toward zero, as trec_eval casts its doubles. */
export function toLong(value: number): number {
  return Math.trunc(value);
}
