import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  /** pino level. Default: LOG_LEVEL from the environment, else "info". */
  level?: string;
  /**
   * "json" (one JSON object per line) or "pretty" (pino-pretty, for people).
   * Default: LOG_FORMAT from the environment, else "pretty" when stderr is a terminal, else "json".
   */
  format?: 'json' | 'pretty';
  /** Where JSON lines go instead of stderr (tests read them back as objects). */
  stream?: DestinationStream;
}

/** Paths pino blanks in every log line, whatever a caller passes in: secrets never reach a log. */
// `*.command.args`: an ioredis error carries its command's arguments, a refused AUTH's password among them.
const REDACT = ['apiKey', 'authorization', 'Authorization', 'headers.authorization', 'headers.Authorization', '*.apiKey', '*.authorization', '*.command.args'];

/** Logs go to stderr (fd 2), so stdout stays free for command output such as `eval` tables. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
  const envFormat = process.env.LOG_FORMAT;
  const format = options.format ?? (envFormat === 'json' || envFormat === 'pretty' ? envFormat : process.stderr.isTTY ? 'pretty' : 'json');
  const base = { level, redact: { paths: REDACT, censor: '[redacted]' } };
  if (options.stream !== undefined) return pino(base, options.stream);
  if (format === 'pretty') {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { destination: 2, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } });
  }
  return pino(base, pino.destination({ dest: 2, sync: true }));
}
