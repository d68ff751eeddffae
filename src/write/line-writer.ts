import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { once } from 'node:events';

/**
 * Writes a text file line by line with backpressure, to a temporary name first: the file appears under
 * its real name complete (`commit()`), or not at all, so a killed run never leaves half an output.
 */
export class LineWriter {
  private readonly stream: WriteStream;
  private readonly tmpPath: string;

  constructor(readonly path: string) {
    this.tmpPath = `${path}.tmp-${process.pid}`;
    this.stream = createWriteStream(this.tmpPath, { encoding: 'utf8' });
  }

  async write(text: string): Promise<void> {
    if (!this.stream.write(text)) await once(this.stream, 'drain');
  }

  async commit(): Promise<void> {
    this.stream.end();
    await once(this.stream, 'finish');
    await rename(this.tmpPath, this.path);
  }

  async discard(): Promise<void> {
    this.stream.destroy();
    await rm(this.tmpPath, { force: true });
  }
}

/** Write a whole small file (JSON documents) the same atomic way. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const writer = new LineWriter(path);
  await writer.write(text);
  await writer.commit();
}
