/**
 * Tail of the standard normal distribution through the regularized upper incomplete gamma function,
 * erfc(x) = Q(1/2, x^2) (series and continued fraction, Numerical Recipes 6.2), accurate to about
 * 1e-15 relative, also far in the tail where 1 - erf would lose every digit.
 */

const EPS = 1e-16;
const TINY = 1e-300;
/** ln Γ(1/2) = ln √π. */
const LOG_GAMMA_HALF = 0.5 * Math.log(Math.PI);

/** Q(1/2, x) = Γ(1/2, x) / Γ(1/2) for x >= 0. */
function upperGammaHalf(x: number): number {
  if (x <= 0) return 1;
  const a = 0.5;
  const front = Math.exp(-x + a * Math.log(x) - LOG_GAMMA_HALF);
  if (x < a + 1) {
    // P(a, x) by its series; Q = 1 - P loses nothing that matters here (Q is not small).
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 10_000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * EPS) break;
    }
    return 1 - front * sum;
  }
  // Q(a, x) by its continued fraction (modified Lentz).
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return front * h;
}

/** Complementary error function erfc(x) = 1 - erf(x), for any real x. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  return x >= 0 ? upperGammaHalf(x * x) : 2 - upperGammaHalf(x * x);
}

/** Two-sided p-value P(|Z| >= |z|) of a standard normal Z; NaN for NaN. */
export function normalTwoSidedP(z: number): number {
  if (Number.isNaN(z)) return NaN;
  return Math.min(1, erfc(Math.abs(z) / Math.SQRT2));
}
