export { launchChromium } from './chromium.js';
export { fixture, fixturesDir, tempDir } from './files.js';
export { freePort } from './ports.js';
export { type RedisServer, startRedis } from './redis.js';
export { MissingToolError, requireFfmpeg, requireTool } from './tools.js';
