export { PilmsMediaError } from './errors.js';
