/** Where rerank-batch keeps its own files inside --out (the spool). */
export const STATE_DIR = '.rerank-batch';

/** How the outputs are written (these may differ between `collect` calls of one run). */
export interface OutputSettings {
  outDir: string;
  qrels?: string;
  topN?: number;
  runTag: string;
  relLevel: number;
}
