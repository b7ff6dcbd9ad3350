export { PilmsCacheError } from './errors.js';
