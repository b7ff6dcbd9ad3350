export { PilmsAiQueueError } from './errors.js';
