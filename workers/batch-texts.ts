import { splitPassages, type PassageWindows } from '../jobs/passages.js';
import type { BatchDoc } from '../jobs/rerank-job.js';

/** Where a document's score comes from: a run of texts (one, or its passages), or an earlier document. */
type Span = { start: number; count: number; passages: boolean } | { copyOf: number };

/** The texts a batch sends, and how each document's score is read back from theirs. */
export interface BatchTexts {
  texts: string[];
  spans: Span[];
}

/**
 * The texts of a batch: each document once (copies not sent), a document the planner split into
 * passages as those passages. Throws when the split here does not give the count the planner recorded
 * (a payload made with other passage settings).
 */
export function batchTexts(docs: readonly BatchDoc[], windows: PassageWindows | undefined): BatchTexts {
  const texts: string[] = [];
  const spans: Span[] = [];
  for (const doc of docs) {
    if (doc.copyOf !== undefined) {
      spans.push({ copyOf: doc.copyOf });
      continue;
    }
    const start = texts.length;
    if (doc.passages === undefined) texts.push(doc.text);
    else {
      if (windows === undefined) throw new Error(`document ${doc.id} has ${doc.passages} passages but the run splits none`);
      const { passages } = splitPassages(doc.text, windows, doc.passages);
      if (passages.length !== doc.passages) throw new Error(`document ${doc.id} splits into ${passages.length} passages, the batch says ${doc.passages}`);
      texts.push(...passages);
    }
    spans.push({ start, count: texts.length - start, passages: doc.passages !== undefined });
  }
  return { texts, spans };
}

/**
 * Each document's score from the texts' scores: its own, its best passage's (MaxP), or the one of the
 * document it copies. `passages` records [passages, best passage] per split document (null for the
 * others), and is absent when the batch split none.
 */
export function foldScores(spans: readonly Span[], textScores: readonly number[]): { scores: number[]; passages?: Array<[number, number] | null> } {
  const scores: number[] = [];
  const passages: Array<[number, number] | null> = [];
  let split = false;
  for (const span of spans) {
    if ('copyOf' in span) {
      scores.push(scores[span.copyOf] ?? Number.NaN);
      passages.push(passages[span.copyOf] ?? null);
      continue;
    }
    let best = 0;
    for (let i = 1; i < span.count; i++) if ((textScores[span.start + i] ?? -Infinity) > (textScores[span.start + best] ?? -Infinity)) best = i;
    scores.push(textScores[span.start + best] ?? Number.NaN);
    if (span.passages) split = true;
    passages.push(span.passages ? [span.count, best] : null);
  }
  return split ? { scores, passages } : { scores };
}
