/** Every rerank API dialect the client speaks (`--provider`) and the local server answers (`serve --dialect`). */
export const PROVIDER_NAMES = ['regolo', 'cohere', 'jina', 'voyage', 'mixedbread', 'tei', 'vllm', 'infinity'] as const;

export type ProviderName = (typeof PROVIDER_NAMES)[number];

export const DEFAULT_PROVIDER: ProviderName = 'regolo';
