import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolvePromptFormat } from '../../src/rerank/prompt.js';
import { PROVIDERS } from '../../src/rerank/providers/index.js';
import { repoRoot } from '../helpers/paths.js';

const readmePath = join(repoRoot, 'README.md');
const BLOCK = /(<!-- providers -->)[\s\S]*?(<!-- \/providers -->)/;

/** README's provider table, from the provider specs: a spec changed without its row fails here. */
function providersTable(): string {
  const n = (value: number): string => value.toLocaleString('en-US');
  const rows = Object.values(PROVIDERS).map((spec) => {
    const format = resolvePromptFormat({ template: 'auto', model: spec.defaultModel });
    const template = typeof format === 'string' ? format : format.name;
    const limits = [`${n(spec.limits.maxDocsPerRequest)} docs`, `${n(spec.limits.maxRequestBytes)} bytes`];
    if (spec.limits.maxTokensPerRequest !== undefined) limits.push(`${n(spec.limits.maxTokensPerRequest)} tokens`);
    if (spec.limits.maxTokensPerDoc !== undefined) limits.push(`${n(spec.limits.maxTokensPerDoc)} tokens/doc`);
    const unit = spec.billing.unit === 'search-unit' ? `search unit (${spec.billing.documentsPerUnit ?? 100} docs)` : spec.billing.unit;
    return `| \`${spec.name}\` | [${spec.title}](${spec.reference}) | \`${spec.endpoint}\`${spec.hosted ? '' : ' (self-hosted)'} | ${spec.defaultModel === undefined ? "none sent (the server's)" : `\`${spec.defaultModel}\``} | ${limits.join(', ')}: ${spec.limitsNote} | ${unit} | ${template} | ${spec.rateLimitNote} |`;
  });
  return ['| provider | API | endpoint | default model | limits per request (defaults) | billed per | template (auto) | rate limit signal |', '|---|---|---|---|---|---|---|---|', ...rows].join('\n');
}

describe("README's provider table", () => {
  if (process.env.UPDATE_README === '1') {
    writeFileSync(readmePath, readFileSync(readmePath, 'utf8').replace(BLOCK, (_all, open: string, close: string) => `${open}\n${providersTable()}\n${close}`));
  }

  it('lists every provider as its spec declares it', () => {
    const block = BLOCK.exec(readFileSync(readmePath, 'utf8'));
    expect(block, 'README.md has no <!-- providers --> block').not.toBeNull();
    expect(block?.[0]).toBe(`<!-- providers -->\n${providersTable()}\n<!-- /providers -->`);
  });
});
