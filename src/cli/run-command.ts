import { Command, Option } from 'commander';
import { DEFAULT_PREFIX } from '../../jobs/names.js';
import { createLogger } from '../logger.js';
import { runPipeline } from '../run/run-pipeline.js';
import type { RunOptions } from '../run/run-options.js';
import type { PairRole } from '../read/column-map.js';
import { columnsArg, intArg, numberArg } from './parse-option.js';

interface RunFlags {
  input: string;
  format?: 'csv' | 'tsv' | 'jsonl';
  columns?: Partial<Record<PairRole, string>>;
  onBadRow?: 'fail' | 'skip';
  qrels?: string;
  out: string;
  runId?: string;
  redis?: string;
  prefix?: string;
  apiUrl?: string;
  model?: string;
  template?: 'qwen3' | 'none';
  instruction?: string;
  maxDocsPerRequest?: number;
  maxRequestBytes?: number;
  maxPending?: number;
  topN?: number;
  concurrency?: number;
  timeoutMs?: number;
  retries?: number;
  attempts?: number;
  runTag?: string;
  relLevel?: number;
  workers: boolean;
  logLevel?: string;
}

export function registerRunCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('run')
    .description('rerank a corpus end to end: queue it, score it (workers in this process and on other machines), write outputs')
    .requiredOption('-i, --input <file>', 'pairs file: .csv, .tsv, .jsonl (each optionally .gz)')
    .requiredOption('-o, --out <dir>', 'output directory')
    .option('--qrels <file>', 'TREC qrels: write metrics.json (reranked and baseline)')
    .addOption(new Option('--format <format>', 'input format (default: from the file name)').choices(['csv', 'tsv', 'jsonl']))
    .option('--columns <role=column,...>', 'input column per role (query_id, query, doc_id, document, score, rank, label)', columnsArg)
    .addOption(new Option('--on-bad-row <what>', 'a bad input row: fail (exit 2) or skip (to rejects.jsonl)').choices(['fail', 'skip']).default('fail'))
    .option('--run-id <id>', 'run id (default: derived from the input and options, so the same command resumes)')
    .option('--redis <url>', 'Redis URL (default: REDIS_URL, else 127.0.0.1:6379, else a private redis-server)')
    .option('--prefix <prefix>', `Redis key prefix (default: ${DEFAULT_PREFIX})`)
    .option('--api-url <url>', 'rerank endpoint, full URL (default: RERANK_API_URL, else the built-in local server)')
    .option('--model <name>', 'model name (default: Qwen3-Reranker-4B)')
    .addOption(new Option('--template <name>', 'prompt template (default: qwen3)').choices(['qwen3', 'none']))
    .option('--instruction <text>', 'Qwen3 <Instruct> text')
    .option('--max-docs-per-request <n>', 'most documents per API request (default: 50)', intArg)
    .option('--max-request-bytes <n>', 'most bytes of documents per API request (default: 262144)', intArg)
    .option('--max-pending <n>', 'most batches queued in Redis at once (default: 1000)', intArg)
    .option('--top-n <n>', 'keep the best N per query in the outputs (default: all)', intArg)
    .option('--concurrency <n>', 'API requests in flight in this process (default: 8)', intArg)
    .option('--timeout-ms <n>', 'timeout of one API request (default: 60000)', intArg)
    .option('--retries <n>', 'in-process retries of one request (default: 5)', intArg)
    .option('--attempts <n>', 'BullMQ attempts per batch (default: 5)', intArg)
    .option('--run-tag <tag>', 'last column of ranked.trec (default: rerank-batch)')
    .option('--rel-level <n>', 'relevance level of binary measures, as trec_eval -l (default: 1)', numberArg)
    .option('--no-workers', 'start no workers here: only queue and collect (workers run elsewhere)')
    .option('--log-level <level>', 'pino log level (default: LOG_LEVEL or info)')
    .action(async (flags: RunFlags) => {
      const logger = createLogger(flags.logLevel === undefined ? {} : { level: flags.logLevel });
      const { redis, logLevel: _logLevel, ...rest } = flags;
      const options: RunOptions = { ...rest, ...(redis === undefined ? {} : { redisUrl: redis }) };
      const report = await runPipeline(options, logger);
      setExitCode(report.exitCode);
      logger.flush();
    });
}
