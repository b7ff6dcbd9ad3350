export { PilmsSqliteError } from './errors.js';
