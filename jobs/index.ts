export * from './names.js';
export * from './rerank-job.js';
export * from './job-id.js';
export * from './default-job-options.js';
export * from './rerank-queue.js';
export * from './failure-reason.js';
export * from './passages.js';
export * from './cached-batch.js';
