import { cohere } from './cohere.js';
import { infinity } from './infinity.js';
import { jina } from './jina.js';
import { mixedbread } from './mixedbread.js';
import type { ProviderName } from './provider-name.js';
import type { ProviderSpec } from './provider-spec.js';
import { regolo } from './regolo.js';
import { tei } from './tei.js';
import { vllm } from './vllm.js';
import { voyage } from './voyage.js';

export { PROVIDER_NAMES, DEFAULT_PROVIDER, type ProviderName } from './provider-name.js';
export { errorMessageOf, type ProviderSpec, type ProviderLimits, type BillingUnit, type ResultItem, type ProviderRequest } from './provider-spec.js';

/** Every provider by name (a missing or extra name is a compile error). */
export const PROVIDERS: { readonly [N in ProviderName]: ProviderSpec & { name: N } } = {
  regolo: { ...regolo, name: 'regolo' },
  cohere: { ...cohere, name: 'cohere' },
  jina: { ...jina, name: 'jina' },
  voyage: { ...voyage, name: 'voyage' },
  mixedbread: { ...mixedbread, name: 'mixedbread' },
  tei: { ...tei, name: 'tei' },
  vllm: { ...vllm, name: 'vllm' },
  infinity: { ...infinity, name: 'infinity' },
};

/**
 * The providers whose answer shape `json` fits, for a message when a run's answers do not fit its own
 * provider (several share Cohere's shape, so this narrows the cause rather than naming it).
 */
export function providersReading(json: unknown): ProviderName[] {
  return Object.values(PROVIDERS)
    .filter((spec) => typeof spec.readResults(json) !== 'string')
    .map((spec) => spec.name);
}
