// Takes the only slot and never releases it: the test SIGKILLs this process to prove the lease expires.
import { createRedisLimiter } from '../../src/adapters/redis.js';

const [url, key] = process.argv.slice(2) as [string, string];
const limiter = await createRedisLimiter({ redis: url, key, leaseMs: 300 });
await limiter.acquire();
process.stdout.write('holding\n');
setInterval(() => {}, 1000);
