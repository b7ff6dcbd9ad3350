export {
  type CpuAffinityPlan,
  type CpuAffinityPlanOptions,
  type CpuInfo,
  type CpuTopology,
  CpuTopologyError,
  type DetectBigCoresOptions,
  defaultsCpu,
  detectBigCores,
  formatCpuList,
  planCpuAffinity,
} from './cpu-affinity.js';
export {
  errors,
  ModelNotFoundError,
  OllamaUnavailableError,
  PilmsAiQueueError,
  QueueFullError,
  RequestCancelledError,
} from './errors.js';
export { InvalidLimiterOptionError } from './limiter-options.js';
export { type AiQueueOptions, defaults, type RequestOptions } from './options.js';
export { type AiQueue, createAiQueue } from './queue.js';
export { type Priority, priorities } from './scheduler.js';
export type { CacheLike } from './sharing.js';
export { type AcquireOptions, LocalSemaphore, type SlotLease, type SlotLimiter } from './slot-limiter.js';
