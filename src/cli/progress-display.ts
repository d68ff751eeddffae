import cliProgress from 'cli-progress';
import type { Lifecycle, RunProgress } from '../lifecycle-events.js';
import type { Logger } from '../logger.js';

/**
 * How a command shows a run's progress on stderr:
 * - bar: a live bar (a terminal, pretty logs), log records printed above it;
 * - lines: a plain progress line every --progress-interval (no terminal, pretty logs);
 * - log: a `run-progress` log record every --progress-interval (JSON logs stay machine-readable);
 * - off: --quiet.
 */
export type ProgressMode = 'bar' | 'lines' | 'log' | 'off';

export function progressModeOf(options: { quiet: boolean; logFormat?: 'json' | 'pretty' | undefined }, terminal = process.stderr.isTTY === true): ProgressMode {
  if (options.quiet) return 'off';
  const format = options.logFormat ?? (terminal ? 'pretty' : 'json');
  if (format === 'json') return 'log';
  return terminal ? 'bar' : 'lines';
}

const count = (v: number): string => v.toLocaleString('en-US');

function eta(seconds: number | null): string {
  if (seconds === null) return '?';
  const s = Math.ceil(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** The total, `~` before it while it is estimated (the input is still being read). */
function total(p: RunProgress): string {
  return p.pairsTotal === null ? '?' : `${p.totalEstimated ? '~' : ''}${count(p.pairsTotal)}`;
}

function percent(p: RunProgress): string {
  return p.pairsTotal === null || p.pairsTotal === 0 ? '?%' : `${((100 * p.pairsDone) / p.pairsTotal).toFixed(1)}%`;
}

/** The figures of a progress line, after the run id: the same as the bar's. */
export function formatProgress(p: RunProgress): string {
  const rate = p.pairsPerSecond === null ? '?' : p.pairsPerSecond.toFixed(1);
  return (
    `${count(p.pairsDone)}/${total(p)} pairs (${percent(p)}), ${rate} pairs/s, ` +
    `${count(p.apiRequests)} requests, ${count(p.retries)} retries, ${count(p.rateLimited)} 429s, ${count(p.failedBatches)} failed batches, ETA ${eta(p.etaSeconds)}`
  );
}

/** Where pretty log text goes: above the bar while it shows, else straight to stderr. */
export interface LogSink {
  write(text: string): void;
}

/** Shows `run-progress` events the way its mode says; `stop()` ends the bar (the run ended). */
export class ProgressDisplay implements LogSink {
  private bars: cliProgress.MultiBar | undefined;
  private bar: cliProgress.SingleBar | undefined;
  private lastLine = 0;
  /** The last progress not printed yet (lines, log): printed when the run ends, so its figures end there. */
  private unprinted: RunProgress | undefined;

  constructor(
    readonly mode: ProgressMode,
    private readonly intervalMs: number,
    private readonly logger?: Logger,
    private readonly stderr: NodeJS.WritableStream = process.stderr,
  ) {}

  /** Follow a run's events: progress updates the display, the run's end stops it. */
  follow(events: Lifecycle): this {
    if (this.mode === 'off') return this;
    events.on('run-progress', (p) => this.update(p));
    events.on('run-finished', () => this.stop());
    return this;
  }

  update(p: RunProgress): void {
    if (this.mode === 'off') return;
    if (this.mode === 'bar') return this.draw(p);
    const now = Date.now();
    this.unprinted = p;
    if (now - this.lastLine < this.intervalMs) return;
    this.lastLine = now;
    this.print(p);
  }

  private print(p: RunProgress): void {
    this.unprinted = undefined;
    if (this.mode === 'lines') this.stderr.write(`progress ${p.runId}: ${formatProgress(p)}\n`);
    else this.logger?.info({ event: 'run-progress', ...p }, 'progress');
  }

  write(text: string): void {
    if (this.bars?.isActive === true) this.bars.log(text.endsWith('\n') ? text : `${text}\n`);
    else this.stderr.write(text);
  }

  stop(): void {
    if (this.unprinted !== undefined) this.print(this.unprinted);
    if (this.bars === undefined) return;
    // update() prints the log lines still held above the bar, which stop() alone would drop.
    this.bars.update();
    this.bars.stop();
    this.bars = undefined;
    this.bar = undefined;
  }

  private draw(p: RunProgress): void {
    const expected = p.pairsTotal ?? 0;
    const payload = {
      done: count(p.pairsDone),
      all: total(p),
      pct: percent(p),
      rate: p.pairsPerSecond === null ? '?' : p.pairsPerSecond.toFixed(1),
      requests: count(p.apiRequests),
      retries: count(p.retries),
      limited: count(p.rateLimited),
      failed: count(p.failedBatches),
      remaining: eta(p.etaSeconds),
    };
    // Unknown total (a run file still being read): an empty bar, "?" for the total.
    const value = expected === 0 ? 0 : Math.min(p.pairsDone, expected);
    if (this.bars === undefined || this.bar === undefined) {
      this.bars = new cliProgress.MultiBar(
        {
          stream: this.stderr,
          format: '{bar} {pct} | {done}/{all} pairs | {rate} pairs/s | {requests} requests | {retries} retries | {limited} 429s | {failed} failed | ETA {remaining}',
          barsize: 24,
          hideCursor: true,
          linewrap: false,
          // Log lines printed above the bar clear its line: draw it on every frame, changed or not.
          forceRedraw: true,
          clearOnComplete: false,
          // The command's own signal handling decides what SIGINT does.
          gracefulExit: false,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar = this.bars.create(Math.max(expected, 1), value, payload);
      return;
    }
    this.bar.setTotal(Math.max(expected, 1));
    this.bar.update(value, payload);
  }
}
