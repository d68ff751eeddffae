import type { MeasureComparison } from './compare.js';
import { formatFixed } from './format.js';

/**
 * Formats comparisons as an aligned text table: measure, A, B, delta, p, CI, W/T/L.
 * @param labels column titles for the two runs, default "A" and "B".
 * @param confidence for the interval's title, default 0.95.
 */
export function formatComparison(comparisons: readonly MeasureComparison[], labels: { a?: string; b?: string; confidence?: number } = {}): string {
  const ci = `${Math.round((labels.confidence ?? 0.95) * 100)}% CI`;
  const header = ['measure', labels.a ?? 'A', labels.b ?? 'B', 'delta', 'p', ci, 'W/T/L'];
  const rows = comparisons.map((c) => [
    c.measure,
    formatFixed(c.a),
    formatFixed(c.b),
    signed(c.delta),
    Number.isNaN(c.pValue) ? 'n/a' : formatFixed(c.pValue),
    Number.isNaN(c.ciLow) ? 'n/a' : `[${signed(c.ciLow)}, ${signed(c.ciHigh)}]`,
    `${c.wins}/${c.ties}/${c.losses}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ').trimEnd() + '\n';
  return [line(header), ...rows.map(line)].join('');
}

function signed(value: number): string {
  const text = formatFixed(value);
  return value > 0 || (value === 0 && !text.startsWith('-')) ? `+${text}` : text;
}
