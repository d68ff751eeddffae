import type { Queue } from 'bullmq';
import type { RerankJobPayload, RerankJobResult } from './rerank-job.js';

/** The BullMQ queue of one run: rerank jobs in, scores out, string job ids. */
export type RerankQueue = Queue<RerankJobPayload, RerankJobResult, string>;
