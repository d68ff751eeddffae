import type { LabelledCandidate } from './labelled-candidate.js';

/** The training data a run can write (the files are in src/write/training-files.ts). */
export const TRAINING_FORMATS = ['triplets', 'hard-negatives', 'distillation'] as const;
export type TrainingFormat = (typeof TRAINING_FORMATS)[number];

/** Where positives come from: judged relevance, the predicted label, or the top of the reranked list. */
export type PositiveSource = 'relevance' | 'predicted' | 'top';

export interface TrainingOptions {
  /** Hard negatives per positive. */
  negatives: number;
  /** Inclusive rank window negatives are taken from. */
  negativeRanks: readonly [min: number, max: number];
  /**
   * A negative's score must be <= the positive's score - margin (skips likely false negatives, as
   * sentence-transformers' mine_hard_negatives absolute_margin).
   */
  negativeMargin: number;
  /** With source 'top': the first N of the reranked list are positives. */
  positivesTop: number;
  /** relevance / predicted >= relLevel is a positive. */
  relLevel: number;
}

/** A positive and its hard negatives, hardest (best ranked) first. */
export interface TrainingExample {
  positive: LabelledCandidate;
  negatives: LabelledCandidate[];
}

/**
 * One query's positives with their hard negatives. `candidates`: that query's scored candidates, rank
 * ascending.
 *
 * Positives, by `source`:
 * - 'relevance': relevance >= relLevel. A candidate with relevance > 0 (any positive judgment, whatever
 *   relLevel) is never a negative: a partly relevant document is no hard negative.
 * - 'predicted': the same with `predicted`.
 * - 'top': rank <= positivesTop; these are never negatives.
 *
 * The negatives of a positive are the other candidates that are neither positives nor excluded as above,
 * with rank within negativeRanks (inclusive) and score <= positive.score - negativeMargin: the first
 * `negatives` of them by rank (hardest first), fewer when fewer qualify. Positives come in rank order.
 */
export function selectTraining(candidates: readonly LabelledCandidate[], source: PositiveSource, options: TrainingOptions): TrainingExample[] {
  const byRank = [...candidates].sort((a, b) => a.rank - b.rank);
  const [minRank, maxRank] = options.negativeRanks;
  const positives: LabelledCandidate[] = [];
  const pool: LabelledCandidate[] = [];
  for (const candidate of byRank) {
    const positive = isPositive(candidate, source, options);
    if (positive) positives.push(candidate);
    if (positive || isJudgedRelevant(candidate, source)) continue;
    if (candidate.rank >= minRank && candidate.rank <= maxRank) pool.push(candidate);
  }
  return positives.map((positive) => {
    const ceiling = positive.score - options.negativeMargin;
    const negatives: LabelledCandidate[] = [];
    for (const candidate of pool) {
      if (negatives.length >= options.negatives) break;
      if (candidate.score <= ceiling) negatives.push(candidate);
    }
    return { positive, negatives };
  });
}

/** The judgment `source` reads, undefined for 'top' or when unknown. */
function judgment(candidate: LabelledCandidate, source: PositiveSource): number | undefined {
  if (source === 'relevance') return candidate.relevance;
  if (source === 'predicted') return candidate.predicted;
  return undefined;
}

function isPositive(candidate: LabelledCandidate, source: PositiveSource, options: TrainingOptions): boolean {
  if (source === 'top') return candidate.rank <= options.positivesTop;
  const value = judgment(candidate, source);
  return value !== undefined && value >= options.relLevel;
}

/** Judged relevant at any level: never a negative, even below relLevel. */
function isJudgedRelevant(candidate: LabelledCandidate, source: PositiveSource): boolean {
  const value = judgment(candidate, source);
  return value !== undefined && value > 0;
}
