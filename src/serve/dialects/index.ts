import type { ProviderName } from '../../rerank/providers/provider-name.js';
import { cohere } from './cohere.js';
import type { Dialect } from './dialect.js';
import { infinity } from './infinity.js';
import { jina } from './jina.js';
import { mixedbread } from './mixedbread.js';
import { regolo } from './regolo.js';
import { tei } from './tei.js';
import { vllm } from './vllm.js';
import { voyage } from './voyage.js';

export type { Dialect, DialectRequest, Ranked, Reply } from './dialect.js';

/** Every dialect the built-in server speaks, by provider name (a missing one is a compile error). */
export const DIALECTS: { readonly [N in ProviderName]: Dialect } = { regolo, cohere, jina, voyage, mixedbread, tei, vllm, infinity };
