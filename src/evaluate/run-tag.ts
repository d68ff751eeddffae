import { readTextLineBatches } from '../read/open-text-stream.js';
import { trecFields } from '../read/trec-fields.js';

/**
 * The run tag trec_eval prints as `runid`: the sixth field of the run file's last result line (trec_eval
 * keeps only that one, never checking the others agree). Streams the file; undefined when no line has six
 * fields.
 */
export async function readRunTag(file: string): Promise<string | undefined> {
  let tag: string | undefined;
  for await (const batch of readTextLineBatches(file)) for (const { text } of batch) {
    const fields = trecFields(text);
    if (fields !== undefined) tag = fields[5];
  }
  return tag;
}
