import { describe, expect, it } from 'vitest';
import { bm25Scores, scoreDocuments, stripDocumentTags, stripQueryTags, tokenize, toRelevance } from '../../src/serve/bm25-scorer.js';

describe('bm25 scorer', () => {
  it('tokenises Unicode letters and numbers, lower-cased', () => {
    expect(tokenize('Héllo, WORLD! 42 Größe—straße  東京')).toEqual(['héllo', 'world', '42', 'größe', 'straße', '東京']);
  });

  it('strips the Qwen3 tags', () => {
    expect(stripQueryTags('<Instruct>: Given a web search query, retrieve\n<Query>: What is it?')).toBe('What is it?');
    expect(stripQueryTags('<Query>: plain')).toBe('plain');
    expect(stripQueryTags('no tags')).toBe('no tags');
    expect(stripDocumentTags('<Document>: The text')).toBe('The text');
    expect(stripDocumentTags('The <Document>: text')).toBe('The <Document>: text');
  });

  it('ranks a document with the query terms above one without, tags or not', () => {
    const docs = ['Gravity attracts bodies.', 'The capital of China is Beijing.', 'China exports tea.'];
    const raw = scoreDocuments('capital of China', docs);
    const tagged = scoreDocuments('<Instruct>: Retrieve passages\n<Query>: capital of China', docs.map((d) => `<Document>: ${d}`));
    expect(tagged).toEqual(raw);
    expect(raw[1]).toBeGreaterThan(raw[2] ?? 1);
    expect(raw[2]).toBeGreaterThan(raw[0] ?? 1);
    // The instruction's words do not leak into the query.
    expect(scoreDocuments('<Instruct>: gravity\n<Query>: tea', docs)[0]).toBe(toRelevance(0));
  });

  it('is deterministic and maps into (0, 1) keeping the order', () => {
    const docs = ['a b c', 'a a a b', 'c d', 'e', 'a'];
    const first = scoreDocuments('a c', docs);
    expect(scoreDocuments('a c', docs)).toEqual(first);
    const raw = bm25Scores('a c', docs);
    for (let i = 0; i < docs.length; i++) {
      for (let j = 0; j < docs.length; j++) {
        expect(Math.sign((first[i] ?? 0) - (first[j] ?? 0))).toBe(Math.sign((raw[i] ?? 0) - (raw[j] ?? 0)));
      }
      expect(first[i]).toBeGreaterThan(0);
      expect(first[i]).toBeLessThan(1);
    }
  });

  it('saturates term frequency and normalises length', () => {
    const [short, long] = bm25Scores('cat', ['cat dog', 'cat dog bird fish horse cow pig']);
    expect(short).toBeGreaterThan(long ?? Infinity);
    const [once, many] = bm25Scores('cat', ['cat x x x', 'cat cat cat cat']);
    expect(many).toBeGreaterThan(once ?? Infinity);
    expect(many).toBeLessThan(4 * (once ?? 0));
  });
});
