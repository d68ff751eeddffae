import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { InputError } from '../errors/input-error.js';

/** One line of a text file with its 1-based line number. */
export interface NumberedLine {
  text: string;
  line: number;
}

/**
 * Reads a UTF-8 text file line by line without holding it whole. Accepts LF and CRLF endings and a
 * leading byte order mark.
 * @throws InputError ERR_FILE_READ when the file cannot be opened.
 */
export async function* readLines(file: string): AsyncGenerator<NumberedLine> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    throw new InputError('ERR_FILE_READ', `cannot read file: ${error instanceof Error ? error.message : String(error)}`, { file }, { cause: error });
  }
  const lines = createInterface({ input: handle.createReadStream({ encoding: 'utf8' }), crlfDelay: Infinity });
  try {
    let line = 0;
    for await (const raw of lines) {
      line++;
      const text = line === 1 && raw.startsWith('\uFEFF') ? raw.slice(1) : raw;
      yield { text, line };
    }
  } finally {
    lines.close();
    await handle.close().catch(() => undefined);
  }
}

/** True for lines trec_eval skips: blank ones and `#` comments. */
export function isSkippable(text: string): boolean {
  const trimmed = text.trim();
  return trimmed === '' || trimmed.startsWith('#');
}
