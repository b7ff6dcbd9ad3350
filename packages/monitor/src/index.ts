export { PilmsMonitorError } from './errors.js';
