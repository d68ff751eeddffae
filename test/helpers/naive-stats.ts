import { AgreementAccumulator } from '../../src/label/agreement.js';

/** Statistics computed naively from their definitions (O(n^2)), to check the exact fast ones against. */

export interface Pair {
  score: number;
  label: number;
}

export function accumulate(pairs: readonly Pair[]): AgreementAccumulator {
  const acc = new AgreementAccumulator();
  for (const { score, label } of pairs) acc.add(score, label);
  return acc;
}

/** Naive average ranks: 1 + (values below) + (other values equal) / 2. */
function naiveRanks(values: readonly number[]): number[] {
  return values.map((v) => 1 + values.filter((w) => w < v).length + (values.filter((w) => w === v).length - 1) / 2);
}

function pearson(x: readonly number[], y: readonly number[]): number | null {
  const mean = (v: readonly number[]): number => v.reduce((s, a) => s + a, 0) / v.length;
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  x.forEach((xi, i) => {
    const yi = y[i] ?? 0;
    sxy += (xi - mx) * (yi - my);
    sxx += (xi - mx) ** 2;
    syy += (yi - my) ** 2;
  });
  return sxx === 0 || syy === 0 ? null : sxy / Math.sqrt(sxx * syy);
}

export function naiveSpearman(pairs: readonly Pair[]): number | null {
  return pearson(naiveRanks(pairs.map((p) => p.score)), naiveRanks(pairs.map((p) => p.label)));
}

/** Kendall's tau-b from its definition: (concordant - discordant) / sqrt((n0 - tiedScore)(n0 - tiedLabel)). */
export function naiveKendallTauB(pairs: readonly Pair[]): number | null {
  let concordant = 0;
  let discordant = 0;
  let tiedScore = 0;
  let tiedLabel = 0;
  let all = 0;
  for (let i = 0; i < pairs.length; i++) {
    for (let j = i + 1; j < pairs.length; j++) {
      const a = pairs[i];
      const b = pairs[j];
      if (!a || !b) continue;
      all++;
      const ds = Math.sign(a.score - b.score);
      const dl = Math.sign(a.label - b.label);
      if (ds === 0) tiedScore++;
      if (dl === 0) tiedLabel++;
      if (ds * dl > 0) concordant++;
      if (ds * dl < 0) discordant++;
    }
  }
  const denominator = (all - tiedScore) * (all - tiedLabel);
  return denominator === 0 ? null : (concordant - discordant) / Math.sqrt(denominator);
}

/** AUC by counting every (positive, negative) pair: 1 when the positive scores higher, 1/2 on a tie. */
export function naiveAuc(pairs: readonly Pair[], positive: number): number {
  let wins = 0;
  let total = 0;
  for (const p of pairs.filter((x) => x.label === positive)) {
    for (const q of pairs.filter((x) => x.label !== positive)) {
      total++;
      wins += p.score > q.score ? 1 : p.score === q.score ? 0.5 : 0;
    }
  }
  return wins / total;
}

