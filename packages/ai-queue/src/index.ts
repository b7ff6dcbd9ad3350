export {
  errors,
  ModelNotFoundError,
  OllamaUnavailableError,
  PilmsAiQueueError,
  QueueFullError,
  RequestCancelledError,
} from './errors.js';
export {
  type AiQueue,
  type AiQueueOptions,
  type CacheLike,
  createAiQueue,
  defaults,
  type RequestOptions,
} from './queue.js';
export { type Priority, priorities } from './scheduler.js';
