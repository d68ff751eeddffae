
/** How the outputs are written (these may differ between `collect` calls of one run). */
export interface OutputSettings {
  out: string;
  qrels?: string | undefined;
  topN?: number | undefined;
  runTag: string;
  relLevel: number;
}
