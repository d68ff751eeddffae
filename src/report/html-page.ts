import { formatFixed, isCountMeasure } from '../evaluate/index.js';
import { escapeHtml as esc } from './html-escape.js';
import { LISTED_LINES, type FailureLine, type ListedLines, type RejectLine } from './listed-lines.js';
import type { MeasureComparisonJson } from './out-files.js';
import { RECALL_POINTS } from './precision-recall.js';
import { MOVED_DEPTH, type MovedDoc } from './ranking-pass.js';
import type { Mover, ReportData } from './report-data.js';
import { COLORS, deltaChart, histogramChart, measuresChart, perQueryChart, precisionRecallChart } from './svg-charts.js';

const STYLE = `
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #0f172a; background: #f8fafc; margin: 0; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 32px 48px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 8px; border-bottom: 1px solid #e2e8f0; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 20px 0 6px; }
p, li { line-height: 1.45; }
.sub { color: #475569; margin: 0 0 16px; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 10px; font-size: 13px; font-weight: 600; color: #fff; }
.outcome-complete { background: #16a34a; } .outcome-failures { background: #dc2626; } .outcome-interrupted { background: #d97706; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 16px 32px; }
.charts { display: flex; flex-wrap: wrap; gap: 16px 32px; align-items: flex-start; }
table { border-collapse: collapse; font-size: 13px; background: #fff; }
th, td { padding: 3px 10px; border-bottom: 1px solid #e2e8f0; text-align: left; vertical-align: top; }
th { background: #f1f5f9; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.up { color: ${COLORS.up}; } .down { color: ${COLORS.down}; }
.note { color: #475569; font-size: 13px; }
.warn { background: #fef3c7; border: 1px solid #fcd34d; padding: 6px 10px; border-radius: 4px; font-size: 13px; }
.query { background: #fff; border: 1px solid #e2e8f0; border-radius: 6px; padding: 8px 14px 12px; margin: 12px 0; }
.query-text { font-style: italic; margin: 4px 0 8px; overflow-wrap: anywhere; }
.mono { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; font-size: 12px; overflow-wrap: anywhere; }
details { margin: 8px 0; } summary { cursor: pointer; color: #1d4ed8; }
svg { max-width: 100%; height: auto; background: #fff; border: 1px solid #e2e8f0; border-radius: 4px; }
`;

/** Counts of manifest.json shown even when 0; the other zero counts are left out. */
const ALWAYS_SHOWN_COUNTS = new Set(['failed_pairs', 'rejected_rows', 'api_requests', 'cache_hits', 'retries']);

/** A measure's value as trec_eval prints it: counts as integers, the rest with 4 decimals. */
function shown(measure: string, value: number): string {
  return isCountMeasure(measure) ? String(value) : formatFixed(value, 4);
}

/** A number of metrics.json: 4 decimals shown, its full precision in data-value (`null` when it has none). */
function metricValue(measure: string, field: string, value: number | null | undefined, tag: 'td' | 'span' = 'td'): string {
  const cls = tag === 'td' ? ' class="num"' : '';
  if (value === undefined) return tag === 'td' ? '<td class="num"></td>' : '';
  const text = value === null ? 'n/a' : shown(measure, value);
  return `<${tag}${cls} data-measure="${esc(measure)}" data-field="${field}" data-value="${value === null ? 'null' : String(value)}">${text}</${tag}>`;
}

function comparisonCells(measure: string, c: MeasureComparisonJson | undefined): string {
  if (c === undefined) return '<td></td><td></td><td></td><td></td>';
  const direction = c.delta > 0 ? ' up' : c.delta < 0 ? ' down' : '';
  const delta = metricValue(measure, 'delta', c.delta).replace('class="num"', `class="num${direction}"`);
  const ci = `<td class="num">[${metricValue(measure, 'ci95_low', c.ci95_low, 'span')}, ${metricValue(measure, 'ci95_high', c.ci95_high, 'span')}]</td>`;
  return `${delta}${ci}${metricValue(measure, 'p_value', c.p_value)}<td class="num">${c.wins}/${c.ties}/${c.losses}</td>`;
}

function measuresTable(data: ReportData, measures: readonly string[], name: string): string {
  const metrics = data.metrics;
  if (metrics === undefined) return '';
  const rows = measures.map((measure) => {
    const c = metrics.comparison?.[measure];
    return `<tr><th>${esc(measure)}</th>${metricValue(measure, 'baseline', metrics.baseline?.[measure])}${metricValue(measure, 'reranked', metrics.reranked[measure])}${comparisonCells(measure, c)}</tr>`;
  });
  return `<table data-table="${name}"><thead><tr><th>measure</th><th class="num">baseline</th><th class="num">reranked</th><th class="num">delta</th><th class="num">95% CI of delta</th><th class="num">p (t-test)</th><th class="num">W/T/L</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function keyValues(rows: [string, string][]): string {
  return `<table>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${v}</td></tr>`).join('')}</table>`;
}

/** An option's value as text. */
function optionText(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
}

function summarySection(data: ReportData): string {
  const m = data.manifest;
  const options = m.options ?? {};
  const run: [string, string][] = [
    ['run id', `<span class="mono">${esc(m.run_id)}</span>`],
    ['outcome', esc(m.outcome) + (m.complete ? '' : ' (outputs partial)')],
    ['started', esc(m.started_at)],
    ['finished', esc(m.finished_at)],
    ['duration', `${m.duration_seconds.toFixed(1)} s`],
    ...Object.entries(m.counts)
      .filter(([k, v]) => v !== null && (v !== 0 || ALWAYS_SHOWN_COUNTS.has(k)))
      .map(([k, v]): [string, string] => [k.replaceAll('_', ' '), String(v)]),
  ];
  const setting = (key: string): string | undefined => (options[key] === undefined ? undefined : optionText(options[key]));
  const settings: [string, string][] = [];
  const add = (label: string, value: string | undefined, mono = false): void => {
    if (value !== undefined) settings.push([label, mono ? `<span class="mono">${esc(value)}</span>` : esc(value)]);
  };
  add('provider', m.provider);
  add('model', m.model ?? undefined);
  add('API URL', m.api_url === undefined ? undefined : `${m.api_url}${m.builtin_server === true ? ' (built-in lexical server)' : ''}`, true);
  add('template', m.template?.name);
  add('input', setting('input') ?? setting('runFile'), true);
  add('qrels', data.qrels?.path, true);
  add('top N', setting('topN') ?? 'all');
  add('relevance level', data.metrics === undefined ? setting('relLevel') : String(data.metrics.rel_level));
  add('run tag', setting('runTag'));
  add('max docs per request', setting('maxDocsPerRequest'));
  add('passages', setting('passages'));
  const sources = m.option_sources ?? {};
  const allOptions = Object.entries(options)
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td class="mono">${esc(optionText(v))}</td><td>${esc(sources[k] ?? '')}</td></tr>`)
    .join('');
  return `<section id="summary"><h2>Run</h2><div class="grid"><div><h3>Summary</h3>${keyValues(run)}</div><div><h3>Settings</h3>${keyValues(settings)}
<details><summary>every option (${Object.keys(options).length})</summary><table><thead><tr><th>option</th><th>value</th><th>from</th></tr></thead><tbody>${allOptions}</tbody></table></details></div></div></section>`;
}

function evaluationSection(data: ReportData): string {
  const metrics = data.metrics;
  if (metrics === undefined) {
    return '<section id="evaluation"><h2>Evaluation</h2><p class="note">No metrics.json: the run had no qrels (<code>--qrels</code>), so there is no evaluation; the ranking, the scores and any failures are below.</p></section>';
  }
  const parts = ['<section id="evaluation"><h2>Baseline against reranked</h2>'];
  const coverage =
    metrics.comparison === undefined
      ? 'No query had a first-stage score or rank: there is no baseline to compare with, only the reranked measures.'
      : `Means over the ${metrics.queries_evaluated} queries of the qrels (the baseline and the comparison over ${metrics.baseline_queries ?? metrics.queries_evaluated}` +
        `${metrics.queries_without_baseline > 0 ? `; ${metrics.queries_without_baseline} without a first-stage order are left out of them` : ''}); ` +
        'delta = reranked − baseline, with the paired t-test p and the 95% bootstrap interval of metrics.json (10,000 resamples, seed 42), and the queries won, tied and lost.';
  parts.push(`<p class="note">${esc(coverage)}${metrics.run_queries_not_in_qrels > 0 ? esc(` ${metrics.run_queries_not_in_qrels} queries of the run have no judgments and are not evaluated.`) : ''}</p>`);
  const bars = data.mainMeasures.map((measure) => ({ measure, baseline: metrics.baseline?.[measure], reranked: metrics.reranked[measure] ?? 0 }));
  const intervals = data.mainMeasures.flatMap((measure) => {
    const c = metrics.comparison?.[measure];
    return c === undefined ? [] : [{ measure, delta: c.delta, low: c.ci95_low, high: c.ci95_high }];
  });
  if (bars.length > 0) parts.push(`<div class="charts">${measuresChart(bars)}${intervals.length > 0 ? deltaChart(intervals) : ''}</div>`);
  parts.push(measuresTable(data, data.mainMeasures, 'main-measures'));
  const all = Object.keys(metrics.reranked);
  parts.push(`<details><summary>every measure (${all.length})</summary>${measuresTable(data, all, 'all-measures')}</details></section>`);
  return parts.join('');
}

function perQuerySection(data: ReportData): string {
  if (data.perQuery === undefined || data.primary === undefined) return '';
  const up = data.perQuery.filter((q) => q.delta > 0).length;
  const down = data.perQuery.filter((q) => q.delta < 0).length;
  const same = data.perQuery.length - up - down;
  return `<section id="per-query"><h2>Per query: ${esc(data.primary)}</h2><p class="note">Reranked minus baseline for each query with a baseline (from metrics.perquery.csv): <span class="up">${up} better</span>, ${same} unchanged, <span class="down">${down} worse</span>.</p>${data.perQuery.length > 0 ? perQueryChart(data.perQuery, data.primary) : ''}</section>`;
}

function precisionRecallSection(data: ReportData): string {
  if (data.metrics === undefined) return '';
  const head = '<section id="precision-recall"><h2>Precision-recall</h2>';
  const pr = data.ranking.precisionRecall;
  if (pr === undefined) {
    const why = data.qrels === undefined ? 'manifest.json records no qrels file' : `the qrels file ${data.qrels.path} ${data.qrels.unusable ?? 'was not read'}`;
    return `${head}<p class="warn" data-note="precision-recall">No precision-recall curves: ${esc(why)}. Run <code>rerank-batch report</code> where that path leads to the same qrels to draw them.</p></section>`;
  }
  const curves = [
    ...(pr.baseline === undefined ? [] : [{ label: 'baseline', color: COLORS.baseline, values: pr.baseline }]),
    { label: 'reranked', color: COLORS.reranked, values: pr.reranked },
  ];
  const table = `<table data-table="precision-recall"><thead><tr><th>recall</th>${RECALL_POINTS.map((r) => `<th class="num">${r.toFixed(1)}</th>`).join('')}</tr></thead><tbody>${curves
    .map((c) => `<tr><th>${c.label}</th>${c.values.map((v) => `<td class="num">${formatFixed(v, 4)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
  const topN = data.manifest.options?.['topN'];
  const note =
    `Interpolated precision at the 11 standard recall points (trec_eval's iprec_at_recall), the mean over the ${pr.queries} qrels queries (queries missing from the run count 0)` +
    `${pr.baseline === undefined ? '' : `; the baseline over the ${pr.baselineQueries} with a first-stage order, ranked as ranked.jsonl's original scores (else ranks) order them`}. ` +
    `Computed from ranked.jsonl${typeof topN === 'number' ? ` (the top ${topN} of each query kept)` : ''}, so failed pairs, which it does not hold, are not in the baseline curve.`;
  return `${head}<p class="note">${esc(note)}</p><div class="charts">${precisionRecallChart(curves)}<div>${table}</div></div></section>`;
}

function scoresSection(data: ReportData): string {
  const { histogram, queries, documents, nullScores } = data.ranking;
  const bins = histogram.counts[0]?.length ?? 0;
  const end = histogram.from + bins * histogram.width;
  const byClass =
    histogram.classes.length > 1
      ? ` Split by the qrels label: relevant (label ≥ ${data.metrics?.rel_level ?? 1}), not relevant, unjudged: ${histogram.classes.map((c, i) => `${c} ${histogram.counts[i]?.reduce((a, b) => a + b, 0) ?? 0}`).join(', ')}.`
      : '';
  const text =
    `${histogram.total} reranked scores of ${documents} documents in ${queries} queries (ranked.jsonl), in ${bins} bins of width ${String(histogram.width)} from ${String(histogram.from)} to ${String(end)}.` +
    `${nullScores > 0 ? ` ${nullScores} scores were not finite numbers and are left out.` : ''}${byClass}`;
  return `<section id="scores"><h2>Score distribution</h2><p class="note">${esc(text)}</p>${histogram.total > 0 ? histogramChart(histogram) : ''}</section>`;
}

function movedRow(doc: MovedDoc): string {
  const from = doc.baselineRank;
  const move = from === null ? '' : from > doc.rerankedRank ? `<span class="up">▲ ${from - doc.rerankedRank}</span>` : from < doc.rerankedRank ? `<span class="down">▼ ${doc.rerankedRank - from}</span>` : '=';
  const entered = from !== null && from > MOVED_DEPTH && doc.rerankedRank <= MOVED_DEPTH ? 'entered' : from !== null && from <= MOVED_DEPTH && doc.rerankedRank > MOVED_DEPTH ? 'left' : '';
  return `<tr><td class="mono">${esc(doc.docId)}</td><td class="num">${doc.label === undefined ? '–' : doc.label}</td><td class="num">${from ?? '–'}</td><td class="num">${doc.rerankedRank}</td><td class="num">${move}</td><td>${entered}</td></tr>`;
}

function moverCard(mover: Mover, measure: string): string {
  const sign = mover.delta > 0 ? 'up' : 'down';
  const head = `<h3>query <span class="mono">${esc(mover.queryId)}</span>: ${esc(measure)} ${formatFixed(mover.baseline, 4)} → ${formatFixed(mover.reranked, 4)} <span class="${sign}">(${mover.delta > 0 ? '+' : ''}${formatFixed(mover.delta, 4)})</span></h3>`;
  const detail = mover.detail;
  if (detail === undefined) return `<div class="query" data-query="${esc(mover.queryId)}">${head}<p class="note">Not in ranked.jsonl.</p></div>`;
  const table = `<table><thead><tr><th>document</th><th class="num">label</th><th class="num">baseline rank</th><th class="num">reranked rank</th><th class="num">moved</th><th>top ${MOVED_DEPTH}</th></tr></thead><tbody>${detail.moved.map(movedRow).join('')}</tbody></table>`;
  return `<div class="query" data-query="${esc(mover.queryId)}">${head}<p class="query-text">${esc(detail.query)}</p><p class="note">The documents in the top ${MOVED_DEPTH} of the baseline or of the reranking (of ${detail.candidates} candidates), by reranked rank; label from the qrels (– unjudged or not available).</p>${table}</div>`;
}

function moversSection(data: ReportData): string {
  if (data.primary === undefined) return '';
  const primary = data.primary;
  const list = (movers: readonly Mover[], none: string): string => (movers.length === 0 ? `<p class="note">${none}</p>` : movers.map((m) => moverCard(m, primary)).join(''));
  return `<section id="movers"><h2>Most improved and most regressed queries (${esc(primary)})</h2><div class="grid"><div data-list="improved"><h3 class="up">Most improved</h3>${list(data.improved, 'No query improved.')}</div><div data-list="regressed"><h3 class="down">Most regressed</h3>${list(data.regressed, 'No query regressed.')}</div></div></section>`;
}

function byCodeTable(listed: ListedLines<{ code?: string | null | undefined }>): string {
  return `<table><thead><tr><th>code</th><th class="num">lines</th></tr></thead><tbody>${[...listed.byCode]
    .sort((a, b) => b[1] - a[1])
    .map(([code, n]) => `<tr><td class="mono">${esc(code)}</td><td class="num">${n}</td></tr>`)
    .join('')}</tbody></table>`;
}

function shownOf(listed: ListedLines<unknown>): string {
  return listed.lines > listed.first.length ? ` The first ${LISTED_LINES} are listed.` : '';
}

function failuresSection(failures: ListedLines<FailureLine> | undefined): string {
  if (failures === undefined || failures.lines === 0) return '';
  const rows = failures.first
    .map((f) => {
      const ids = f.doc_ids.slice(0, 5).join(' ') + (f.doc_ids.length > 5 ? ` … (${f.doc_ids.length})` : '');
      return `<tr><td class="mono">${esc(f.query_id)}</td><td class="mono">${esc(ids)}</td><td class="mono">${esc(f.code ?? '')}</td><td>${esc(f.error_class ?? '')}</td><td class="num">${f.attempts ?? ''}</td><td>${esc(f.message ?? '')}</td></tr>`;
    })
    .join('');
  return `<section id="failures"><h2>Failures</h2><p class="note" data-count="${failures.lines}">${failures.items} pairs in ${failures.lines} failed batches (failures.jsonl): not scored, not in the rankings.${shownOf(failures)}</p>${byCodeTable(failures)}
<h3>Failed batches</h3><table data-table="failures"><thead><tr><th>query</th><th>documents</th><th>code</th><th>error</th><th class="num">attempts</th><th>message</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function rejectsSection(rejects: ListedLines<RejectLine> | undefined): string {
  if (rejects === undefined || rejects.lines === 0) return '';
  const rows = rejects.first
    .map((r) => `<tr><td class="mono">${esc(r.file)}${r.line === null || r.line === undefined ? '' : `:${r.line}`}</td><td>${esc(r.field ?? '')}</td><td class="mono">${esc(r.code)}</td><td>${esc(r.reason)}</td><td>${esc(r.action)}</td></tr>`)
    .join('');
  return `<section id="rejects"><h2>Rejected rows</h2><p class="note" data-count="${rejects.lines}">${rejects.lines} input rows (rejects.jsonl).${shownOf(rejects)}</p>${byCodeTable(rejects)}
<h3>Rows</h3><table data-table="rejects"><thead><tr><th>where</th><th>field</th><th>code</th><th>reason</th><th>action</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

/** The whole page: one HTML file with its styles and charts inline, no script, nothing loaded from anywhere. */
export function renderReportPage(data: ReportData): string {
  const m = data.manifest;
  const outcomeClass = ['complete', 'failures', 'interrupted'].includes(m.outcome) ? ` outcome-${m.outcome}` : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>rerank-batch report: ${esc(m.run_id)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>rerank-batch report</h1>
<p class="sub">run <span class="mono">${esc(m.run_id)}</span> · <span class="badge${outcomeClass}">${esc(m.outcome)}</span> · ${esc(m.model ?? m.provider ?? '')} · finished ${esc(m.finished_at)}</p>
${summarySection(data)}
${evaluationSection(data)}
${perQuerySection(data)}
${precisionRecallSection(data)}
${scoresSection(data)}
${moversSection(data)}
${failuresSection(data.failures)}
${rejectsSection(data.rejects)}
</main>
</body>
</html>
`;
}
