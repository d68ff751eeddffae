import { Command, Option } from 'commander';
import { DEFAULT_PREFIX } from '../../jobs/names.js';
import type { RunOptions } from '../options/run-options.js';
import { columnsArg, intArg, numberArg } from './parse-option.js';

/** Flags of `run` and `submit`, as commander hands them over: RunOptions' names, but for --redis. */
export type RunFlags = Omit<RunOptions, 'redisUrl' | 'out'> & { out?: string; redis?: string; logLevel?: string };

/** Input, batching and API flags shared by `run` and `submit`. */
export function addInputAndApiFlags(command: Command): Command {
  return command
    .option('-i, --input <file>', 'pairs file: .csv, .tsv, .jsonl (each optionally .gz)')
    .option('--run-file <file>', 'build pairs from a first-stage TREC run instead (with --docs and --queries)')
    .option('--docs <file>', 'documents for --run-file: JSONL (docno/doc_id, text) or TSV')
    .option('--queries <file>', 'queries for --run-file: TSV (id, text) or JSONL')
    .option('--depth <k>', 'with --run-file: the top K candidates of each query (default: all)', intArg)
    .addOption(new Option('--format <format>', 'input format (default: from the file name)').choices(['csv', 'tsv', 'jsonl']))
    .option('--columns <role=column,...>', 'input column per role (query_id, query, doc_id, document, score, rank, label)', columnsArg)
    .addOption(new Option('--on-bad-row <what>', 'a bad input row: fail (exit 2) or skip (listed in rejects.jsonl)').choices(['fail', 'skip']))
    .addOption(new Option('--on-empty-text <what>', 'an empty query/document text: reject (a bad row) or score-lowest (never sent, ranked last)').choices(['reject', 'score-lowest']))
    .option('--max-document-bytes <n>', 'longest document sent, in UTF-8 bytes (default: 32768)', intArg)
    .addOption(new Option('--on-long-document <what>', 'a longer document: truncate (logged) or reject (a bad row)').choices(['truncate', 'reject']))
    .option('--run-id <id>', 'run id (default: derived from the inputs and options, so the same command resumes)')
    .option('--redis <url>', 'Redis URL, or redis+cluster://h1:p1,h2:p2 (default: REDIS_URL, else 127.0.0.1:6379)')
    .option('--prefix <prefix>', `Redis key prefix (default: ${DEFAULT_PREFIX})`)
    .option('--api-url <url>', 'rerank endpoint, full URL (default: RERANK_API_URL)')
    .option('--model <name>', 'model name (default: Qwen3-Reranker-4B)')
    .addOption(new Option('--template <name>', 'prompt template (default: qwen3)').choices(['qwen3', 'none']))
    .option('--instruction <text>', 'Qwen3 <Instruct> text')
    .option('--max-docs-per-request <n>', 'most documents per API request (default: 50)', intArg)
    .option('--max-request-bytes <n>', 'most bytes of documents per API request (default: 262144)', intArg)
    .option('--max-pending <n>', 'most batches queued in Redis at once (default: 1000)', intArg)
    .option('--rate-limit <n>', 'most API requests per second over all workers (default: no limit)', numberArg)
    .option('--timeout-ms <n>', 'timeout of one API request (default: 60000)', intArg)
    .option('--retries <n>', 'in-process retries of one request (default: 5)', intArg)
    .option('--attempts <n>', 'BullMQ attempts per batch (default: 5)', intArg)
    .option('--log-level <level>', 'pino log level (default: LOG_LEVEL or info)');
}

/** Output flags shared by `run`, `collect` and `retry-failed`. */
export function addOutputFlags(command: Command): Command {
  return command
    .option('--qrels <file>', 'TREC qrels: write metrics.json (reranked, baseline, comparison)')
    .option('--top-n <n>', 'keep the best N per query in the outputs (default: all)', intArg)
    .option('--run-tag <tag>', 'last column of ranked.trec (default: rerank-batch)')
    .option('--rel-level <n>', 'relevance level of binary measures, as trec_eval -l (default: 1)', intArg);
}

/** Commander flags -> RunOptions (the names match but for --redis). */
export function runOptionsFromFlags(flags: RunFlags): RunOptions {
  const { redis, logLevel: _logLevel, out, ...rest } = flags;
  return { ...rest, out: out ?? '', ...(redis === undefined ? {} : { redisUrl: redis }) };
}

