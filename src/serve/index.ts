export {
  startRerankServer,
  SERVER_DEFAULTS,
  type RerankServerOptions,
  type RerankServerFaults,
  type RerankServerStats,
  type RecordedRequest,
  type RunningRerankServer,
} from './rerank-server.js';
export { DIALECTS, type Dialect, type DialectRequest, type Ranked, type Reply } from './dialects/index.js';
export { scoreDocuments, bm25Scores, toRelevance, tokenize, stripQueryTags, stripDocumentTags, BM25_K1, BM25_B } from './bm25-scorer.js';
