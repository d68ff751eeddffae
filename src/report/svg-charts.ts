import { escapeHtml } from './html-escape.js';
import type { HistogramView } from './score-histogram.js';
import type { QueryDelta } from './per-query-deltas.js';
import { RECALL_POINTS } from './precision-recall.js';

/**
 * Charts drawn by hand as inline SVG (no script, no library, nothing fetched). Every drawn data element
 * has class "mark" and a <title> (the browser's tooltip); each chart is an <svg data-chart="NAME">.
 */

export const COLORS = {
  baseline: '#94a3b8',
  reranked: '#2563eb',
  up: '#16a34a',
  down: '#dc2626',
  axis: '#64748b',
  grid: '#e2e8f0',
} as const;

/** Colours of the score histogram's classes, in ScoreHistogram class order. */
const CLASS_COLORS = ['#16a34a', '#f97316', '#94a3b8'];

/** Most bars the per-query chart draws; with more queries it draws evenly spaced ones of the sorted list. */
const MAX_QUERY_BARS = 600;

const FONT = 'font-family="system-ui, sans-serif" font-size="11"';

/** A number with at most 6 decimals and no trailing zeros, for axes and tooltips. */
function short(value: number): string {
  return String(Number(value.toFixed(6)));
}

function linear(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const span = d1 - d0 || 1;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

/** About `count` round tick values covering [lo, hi]. */
function ticks(lo: number, hi: number, count: number): number[] {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power);
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** The upper end of a [0, max] axis: a round value at or above `max`. */
function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const list = ticks(0, max, 5);
  const last = list[list.length - 1] ?? max;
  return last >= max ? last : last + (list[1] ?? max) - (list[0] ?? 0);
}

function svgOpen(name: string, width: number, height: number, label: string): string {
  return `<svg data-chart="${name}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(label)}" ${FONT}>`;
}

function text(x: number, y: number, content: string, attrs = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${escapeHtml(content)}</text>`;
}

function rect(x: number, y: number, w: number, h: number, fill: string, title: string): string {
  return `<rect class="mark" x="${x.toFixed(2)}" y="${y.toFixed(2)}" width="${Math.max(0, w).toFixed(2)}" height="${Math.max(0, h).toFixed(2)}" fill="${fill}"><title>${escapeHtml(title)}</title></rect>`;
}

function legend(x: number, y: number, items: { label: string; color: string }[]): string {
  let at = x;
  return items
    .map(({ label, color }) => {
      const part = `<g class="legend"><rect x="${at}" y="${y - 9}" width="10" height="10" fill="${color}"/>${text(at + 14, y, label)}</g>`;
      at += 24 + label.length * 6.5;
      return part;
    })
    .join('');
}

/** Vertical grid lines and labels of an x axis. */
function xAxis(values: number[], x: (v: number) => number, top: number, bottom: number): string {
  return values
    .map((v) => `<line x1="${x(v).toFixed(1)}" x2="${x(v).toFixed(1)}" y1="${top}" y2="${bottom}" stroke="${COLORS.grid}"/>${text(x(v), bottom + 14, short(v), 'text-anchor="middle" fill="#475569"')}`)
    .join('');
}

/** Horizontal grid lines and labels of a y axis. */
function yAxis(values: number[], y: (v: number) => number, left: number, right: number, format: (v: number) => string = short): string {
  return values
    .map((v) => `<line x1="${left}" x2="${right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="${COLORS.grid}"/>${text(left - 6, y(v) + 4, format(v), 'text-anchor="end" fill="#475569"')}`)
    .join('');
}

export interface MeasureBar {
  measure: string;
  baseline: number | undefined;
  reranked: number;
}

/** Baseline and reranked mean of each measure: two horizontal bars per measure. */
export function measuresChart(rows: readonly MeasureBar[]): string {
  const left = 110;
  const width = 500;
  const right = width - 20;
  const top = 28;
  const rowHeight = 36;
  const bottom = top + rows.length * rowHeight;
  const max = niceMax(Math.max(...rows.flatMap((r) => [r.reranked, r.baseline ?? 0])));
  const x = linear(0, max, left, right);
  const parts = [svgOpen('measures', width, bottom + 24, 'baseline and reranked mean of each main measure'), legend(left, 14, [{ label: 'baseline', color: COLORS.baseline }, { label: 'reranked', color: COLORS.reranked }])];
  parts.push(xAxis(ticks(0, max, 5), x, top, bottom));
  rows.forEach((row, i) => {
    const y = top + i * rowHeight + 4;
    parts.push(text(left - 8, y + 17, row.measure, 'text-anchor="end" fill="#0f172a"'));
    if (row.baseline !== undefined) parts.push(rect(left, y, x(row.baseline) - left, 13, COLORS.baseline, `${row.measure} baseline ${short(row.baseline)}`));
    parts.push(rect(left, y + 14, x(row.reranked) - left, 13, COLORS.reranked, `${row.measure} reranked ${short(row.reranked)}`));
  });
  parts.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${bottom}" stroke="${COLORS.axis}"/></svg>`);
  return parts.join('');
}

export interface DeltaInterval {
  measure: string;
  delta: number;
  low: number | null;
  high: number | null;
}

/** Reranked minus baseline of each measure, with its 95% bootstrap interval, against a line at zero. */
export function deltaChart(rows: readonly DeltaInterval[]): string {
  const left = 110;
  const width = 500;
  const right = width - 20;
  const top = 12;
  const rowHeight = 30;
  const bottom = top + rows.length * rowHeight;
  const values = rows.flatMap((r) => [r.delta, r.low ?? r.delta, r.high ?? r.delta, 0]);
  const pad = (Math.max(...values) - Math.min(...values)) * 0.08 || 0.01;
  const lo = Math.min(...values) - pad;
  const hi = Math.max(...values) + pad;
  const x = linear(lo, hi, left, right);
  const parts = [svgOpen('deltas', width, bottom + 24, 'difference of each main measure with its 95% confidence interval')];
  parts.push(xAxis(ticks(lo, hi, 6), x, top, bottom));
  parts.push(`<line x1="${x(0).toFixed(1)}" x2="${x(0).toFixed(1)}" y1="${top}" y2="${bottom}" stroke="${COLORS.axis}" stroke-width="1.5"/>`);
  rows.forEach((row, i) => {
    const y = top + i * rowHeight + rowHeight / 2;
    const color = row.delta > 0 ? COLORS.up : row.delta < 0 ? COLORS.down : COLORS.axis;
    const interval = row.low === null || row.high === null ? 'no interval' : `95% CI [${short(row.low)}, ${short(row.high)}]`;
    const title = escapeHtml(`${row.measure}: delta ${short(row.delta)}, ${interval}`);
    parts.push(text(left - 8, y + 4, row.measure, 'text-anchor="end" fill="#0f172a"'));
    if (row.low !== null && row.high !== null) {
      parts.push(`<rect class="mark" x="${x(row.low).toFixed(2)}" y="${(y - 2).toFixed(1)}" width="${Math.max(1, x(row.high) - x(row.low)).toFixed(2)}" height="4" fill="${color}" opacity="0.45"><title>${title}</title></rect>`);
    }
    parts.push(`<circle class="mark" cx="${x(row.delta).toFixed(2)}" cy="${y.toFixed(1)}" r="5" fill="${color}"><title>${title}</title></circle>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

/** Evenly spaced items of a sorted list, the first and last included. */
function spread<T>(items: readonly T[], most: number): T[] {
  if (items.length <= most) return [...items];
  return Array.from({ length: most }, (_, i) => items[Math.round((i * (items.length - 1)) / (most - 1))] as T);
}

/** One bar per query (reranked minus baseline of `measure`), sorted by that difference. */
export function perQueryChart(sorted: readonly QueryDelta[], measure: string): string {
  const width = 760;
  const left = 56;
  const right = width - 12;
  const top = 12;
  const bottom = 232;
  const shown = spread(sorted, MAX_QUERY_BARS);
  const lo = Math.min(0, ...shown.map((q) => q.delta));
  const hi = Math.max(0, ...shown.map((q) => q.delta));
  const y = linear(lo === hi ? -1 : lo, lo === hi ? 1 : hi, bottom, top);
  const band = (right - left) / Math.max(1, shown.length);
  const parts = [svgOpen('per-query', width, bottom + 30, `per-query difference of ${measure}, sorted`)];
  parts.push(yAxis(ticks(lo === hi ? -1 : lo, lo === hi ? 1 : hi, 6), y, left, right));
  shown.forEach((q, i) => {
    const y0 = y(0);
    const y1 = y(q.delta);
    const title = `query ${q.queryId}: ${short(q.baseline)} → ${short(q.reranked)} (${q.delta > 0 ? '+' : ''}${short(q.delta)})`;
    parts.push(rect(left + i * band, Math.min(y0, y1), Math.max(band * 0.85, 0.6), Math.abs(y1 - y0), q.delta >= 0 ? COLORS.up : COLORS.down, title));
  });
  parts.push(`<line x1="${left}" x2="${right}" y1="${y(0).toFixed(1)}" y2="${y(0).toFixed(1)}" stroke="${COLORS.axis}"/>`);
  const caption = shown.length < sorted.length ? `${sorted.length} queries by ${measure} difference (${shown.length} evenly spaced shown)` : `${sorted.length} queries, sorted by ${measure} difference`;
  parts.push(text((left + right) / 2, bottom + 24, caption, 'text-anchor="middle" fill="#475569"'), '</svg>');
  return parts.join('');
}

export interface Curve {
  label: string;
  color: string;
  values: readonly number[];
}

/** Interpolated precision at the 11 standard recall points, one line per curve. */
export function precisionRecallChart(curves: readonly Curve[]): string {
  const width = 460;
  const left = 48;
  const right = width - 16;
  const top = 28;
  const bottom = 300;
  const x = linear(0, 1, left, right);
  const y = linear(0, 1, bottom, top);
  const parts = [svgOpen('precision-recall', width, bottom + 36, 'interpolated precision at 11 recall points')];
  parts.push(legend(left, 14, curves.map(({ label, color }) => ({ label, color }))));
  parts.push(xAxis(RECALL_POINTS.filter((_, i) => i % 2 === 0), x, top, bottom), yAxis(ticks(0, 1, 5), y, left, right));
  for (const curve of curves) {
    const points = curve.values.map((v, i) => `${x(RECALL_POINTS[i] ?? 0).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    parts.push(`<polyline class="mark" points="${points}" fill="none" stroke="${curve.color}" stroke-width="2"><title>${escapeHtml(curve.label)}</title></polyline>`);
    curve.values.forEach((v, i) => {
      const r = RECALL_POINTS[i] ?? 0;
      parts.push(`<circle class="mark" cx="${x(r).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3" fill="${curve.color}"><title>${escapeHtml(`${curve.label}: precision ${short(v)} at recall ${short(r)}`)}</title></circle>`);
    });
  }
  parts.push(text((left + right) / 2, bottom + 30, 'recall', 'text-anchor="middle" fill="#475569"'), '</svg>');
  return parts.join('');
}

/** The histogram's bins, the classes stacked. */
export function histogramChart(view: HistogramView): string {
  const width = 760;
  const left = 56;
  const right = width - 12;
  const top = 28;
  const bottom = 232;
  const bins = view.counts[0]?.length ?? 0;
  const totals = Array.from({ length: bins }, (_, i) => view.counts.reduce((sum, row) => sum + (row[i] ?? 0), 0));
  const max = niceMax(Math.max(1, ...totals));
  const end = view.from + bins * view.width;
  const x = linear(view.from, end, left, right);
  const y = linear(0, max, bottom, top);
  const parts = [svgOpen('scores', width, bottom + 36, 'distribution of the reranked scores')];
  if (view.classes.length > 1) parts.push(legend(left, 14, view.classes.map((label, c) => ({ label, color: CLASS_COLORS[c] ?? COLORS.axis }))));
  parts.push(yAxis(ticks(0, max, 5), y, left, right, (v) => String(Math.round(v))), xAxis(ticks(view.from, end, 8), x, top, bottom));
  for (let i = 0; i < bins; i++) {
    let base = 0;
    const lo = view.from + i * view.width;
    view.counts.forEach((row, c) => {
      const n = row[i] ?? 0;
      if (n === 0) return;
      const label = view.classes.length > 1 ? `${view.classes[c] ?? ''}: ` : '';
      parts.push(rect(x(lo) + 0.5, y(base + n), x(lo + view.width) - x(lo) - 1, y(base) - y(base + n), view.classes.length > 1 ? (CLASS_COLORS[c] ?? COLORS.axis) : COLORS.reranked, `${label}${n} scores in [${short(lo)}, ${short(lo + view.width)})`));
      base += n;
    });
  }
  parts.push(`<line x1="${left}" x2="${right}" y1="${bottom}" y2="${bottom}" stroke="${COLORS.axis}"/>`);
  parts.push(text((left + right) / 2, bottom + 30, 'score', 'text-anchor="middle" fill="#475569"'), '</svg>');
  return parts.join('');
}
