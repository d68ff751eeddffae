import { pino, type DestinationStream, type Logger } from 'pino';
import { Writable } from 'node:stream';
import pinoPretty from 'pino-pretty';

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
  /**
   * Where pretty text goes instead of stderr, formatted in this thread (a terminal's progress bar prints it
   * above itself). Pretty logs otherwise format in pino's transport thread.
   */
  prettyTo?: { write(text: string): void };
}

/** Paths pino blanks in every log line, whatever a caller passes in: secrets never reach a log. */
// `*.command.args`: an ioredis error carries its command's arguments, a refused AUTH's password among them.
const REDACT = ['apiKey', 'authorization', 'Authorization', 'headers.authorization', 'headers.Authorization', '*.apiKey', '*.authorization', '*.command.args'];

const PRETTY = { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' };

/** Logs go to stderr (fd 2), so stdout stays free for command output such as `eval` tables. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
  const envFormat = process.env.LOG_FORMAT;
  const format = options.format ?? (envFormat === 'json' || envFormat === 'pretty' ? envFormat : process.stderr.isTTY ? 'pretty' : 'json');
  const base = { level, redact: { paths: REDACT, censor: '[redacted]' } };
  if (options.stream !== undefined) return pino(base, options.stream);
  if (format === 'pretty' && options.prettyTo !== undefined) {
    const sink = options.prettyTo;
    const destination = new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        sink.write(chunk.toString());
        done();
      },
    });
    return pino(base, pinoPretty({ ...PRETTY, colorize: process.stderr.isTTY === true, destination }));
  }
  if (format === 'pretty') {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { ...PRETTY, destination: 2 } } });
  }
  return pino(base, pino.destination({ dest: 2, sync: true }));
}
