/**
 * The runs page: a table of every run with its progress, filled in and refreshed every 2 s from
 * /api/runs by a small script of its own (served from this origin, so no CDN and a strict CSP).
 */

/** No source but this origin; the page's only style sheet is inline. */
export const RUNS_PAGE_CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:";

export const RUNS_PAGE_HTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>rerank-batch runs</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #1d2430; }
h1 { font-size: 1.3rem; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #dde2e8; white-space: nowrap; }
th { font-weight: 600; background: #f3f5f8; }
td.num { text-align: right; }
progress { width: 9rem; vertical-align: middle; }
.status-running { color: #1d6fd1; } .status-completed { color: #23853a; } .status-aborted { color: #c0392b; }
.failed { color: #c0392b; font-weight: 600; }
#note, #updated { color: #5d6978; font-size: .9rem; }
#error { color: #c0392b; }
</style>
</head>
<body>
<h1>rerank-batch runs</h1>
<p id="note">Every run on this Redis and prefix: running ones, and aborted or finished ones until their state expires (7 days after they finish). <a href="queues/">All queues in Bull Board</a></p>
<table>
<thead><tr><th>run</th><th>status</th><th>provider / model</th><th>pairs collected / total</th><th>progress</th><th>pairs/s</th><th>ETA</th><th>failed batches</th><th>requests</th><th>retries</th><th>429s</th></tr></thead>
<tbody id="runs"><tr><td colspan="11">loading...</td></tr></tbody>
</table>
<p id="updated"></p>
<p id="error"></p>
<script src="runs.js"></script>
</body>
</html>
`;

export const RUNS_PAGE_SCRIPT = `'use strict';
const REFRESH_MS = 2000;

function cell(row, field, text, className) {
  const td = document.createElement('td');
  td.dataset.field = field;
  if (className) td.className = className;
  if (text instanceof Node) td.append(text); else td.textContent = text;
  row.append(td);
  return td;
}

function link(href, text) {
  const a = document.createElement('a');
  a.href = href;
  a.textContent = text;
  return a;
}

function eta(seconds) {
  if (seconds === null) return '\\u2014';
  const s = Math.ceil(seconds);
  if (s < 120) return s + ' s';
  if (s < 7200) return Math.round(s / 60) + ' min';
  return (s / 3600).toFixed(1) + ' h';
}

function render(runs) {
  const body = document.getElementById('runs');
  body.replaceChildren();
  if (runs.length === 0) {
    const row = body.insertRow();
    cell(row, 'none', 'no runs under this prefix').colSpan = 11;
    return;
  }
  for (const run of runs) {
    const row = body.insertRow();
    row.dataset.run = run.runId;
    cell(row, 'run', link(run.board, run.runId));
    cell(row, 'status', run.abortReason === null ? run.status : run.status + ' (' + run.abortReason + ')', 'status-' + run.status);
    cell(row, 'model', run.provider + ' / ' + (run.model === null ? "(the server's)" : run.model));
    cell(row, 'pairs', run.pairsCollected + ' / ' + (run.pairs === null ? '?' : run.pairs), 'num');
    const bar = document.createElement('progress');
    bar.max = run.pairs === null ? 1 : Math.max(run.pairs, 1);
    if (run.pairs !== null) bar.value = run.pairsCollected;
    bar.title = run.pairs === null ? 'the producer is still reading the input' : Math.floor((100 * run.pairsCollected) / Math.max(run.pairs, 1)) + '%';
    cell(row, 'progress', bar);
    cell(row, 'rate', run.pairsPerSecond === null ? '\\u2014' : run.pairsPerSecond.toFixed(1), 'num');
    cell(row, 'eta', run.status === 'running' ? eta(run.etaSeconds) : '\\u2014', 'num');
    const failed = run.batches.failed;
    cell(row, 'failed', failed === 0 ? '0' : link(run.failedBoard, String(failed)), failed === 0 ? 'num' : 'num failed');
    cell(row, 'requests', String(run.apiRequests), 'num');
    cell(row, 'retries', String(run.retries), 'num');
    cell(row, 'rateLimited', String(run.rateLimited), 'num');
  }
}

async function refresh() {
  const error = document.getElementById('error');
  try {
    const response = await fetch('api/runs', { cache: 'no-store', signal: AbortSignal.timeout(10000) });
    if (!response.ok) throw new Error('HTTP ' + response.status);
    const { runs } = await response.json();
    render(runs);
    document.getElementById('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
    error.textContent = '';
  } catch (err) {
    error.textContent = 'cannot read the runs: ' + err.message;
  } finally {
    setTimeout(refresh, REFRESH_MS);
  }
}

refresh();
`;
