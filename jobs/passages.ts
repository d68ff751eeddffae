/**
 * Passages of a long document (`--passages N[,stride]`): windows of `length` words starting every
 * `stride` words, the last one reaching the document's end, at most `maxPassages` of them (PyTerrier's
 * sliding window, counted in whitespace-separated words). The planner counts them and the worker sends
 * them: both call this, so what the planner sized is what is sent.
 */
export interface PassageWindows {
  length: number;
  stride: number;
  /** Longest passage sent, in UTF-8 bytes (the run's token cap); a longer one is cut at a character boundary. */
  maxBytes?: number | undefined;
}

/** `text` cut to at most `maxBytes` UTF-8 bytes, never inside a character. */
function cutUtf8(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes) return text;
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  // Back up over continuation bytes (10xxxxxx) to the start of the character that did not fit.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return bytes.subarray(0, end).toString('utf8');
}

/**
 * The passages of `text`; a text of at most `length` words is one passage, itself. Each is cut to
 * `maxBytes` (`trimmed` counts those cut); `cut` says the document had more than `maxPassages`.
 */
export function splitPassages(text: string, windows: PassageWindows, maxPassages: number): { passages: string[]; cut: boolean; trimmed: number } {
  const { maxBytes } = windows;
  let trimmed = 0;
  const capped = (passage: string): string => {
    if (maxBytes === undefined) return passage;
    const kept = cutUtf8(passage, maxBytes);
    if (kept !== passage) trimmed += 1;
    return kept;
  };
  const words = text.split(/\s+/).filter((word) => word !== '');
  if (words.length <= windows.length) return { passages: [capped(text)], cut: false, trimmed };
  const passages: string[] = [];
  for (let start = 0; ; start += windows.stride) {
    passages.push(capped(words.slice(start, start + windows.length).join(' ')));
    if (start + windows.length >= words.length) return { passages, cut: false, trimmed };
    if (passages.length >= maxPassages) return { passages, cut: true, trimmed };
  }
}
