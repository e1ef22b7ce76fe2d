/** Worker threads (Node only): the generic pool and the conversion task of the bench mode. */
export { runJobs, siblingModule, WorkerPool, WorkerTaskError, type PoolOptions } from './pool.js';
export { parallelConversions, type ParallelConversionsOptions, type ParallelConversionsResult } from './conversions.js';
