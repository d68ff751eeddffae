/** Where rerank-batch keeps its own files inside the output directory (the spool). */
export const STATE_DIR = '.rerank-batch';

/** How the outputs are written (these may differ between `collect` calls of one run). */
export interface OutputSettings {
  out: string;
  qrels?: string | undefined;
  topN?: number | undefined;
  runTag: string;
  relLevel: number;
}
