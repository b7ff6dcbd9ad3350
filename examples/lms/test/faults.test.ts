import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openHistory } from '@pilms/monitor/history';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, type RedisServer, startRedis, tempDir } from '../../../test/support/index.js';
import { type OllamaSimulator, startOllamaSimulator } from '../../../test/support/ollama-simulator/index.js';
import { lessonsOf, startClassroom, storedCompletions } from './load.js';
import { killAll, signIn, startLms, until } from './processes.js';

let redis: RedisServer | undefined;
let simulator: OllamaSimulator | undefined;

afterAll(async () => {
  killAll();
  await redis?.stop();
  await simulator?.close();
});

const students = 4;

/** Waits until the load has acknowledged `more` completions beyond what it had. */
async function progressed(load: { count(): number }, more: number): Promise<void> {
  const target = load.count() + more;
  await until(`${more} more acknowledged completions`, async () => (load.count() >= target ? true : undefined));
}

function missing(acknowledged: Set<string>, stored: Set<string>): string[] {
  return [...acknowledged].filter((key) => !stored.has(key));
}

describe('faults under a classroom load', () => {
  it('replaces a worker killed mid-load and keeps every acknowledged progress write', async () => {
    const lms = await startLms({ WORKERS: '2' });
    expect(lms.log()).toContain('student1@school.test / student-demo');
    const load = await startClassroom(lms.base, lms.dataDir, students);
    await progressed(load, 10);
    const [victim] = lms.workerPids();
    process.kill(victim as number, 'SIGKILL');
    await until('a replacement worker', async () => {
      const pids = lms.workerPids();
      return pids.length === 2 && !pids.includes(victim as number) ? true : undefined;
    });
    await progressed(load, 10);
    // The primary records the board's figures (here, during the classroom) for the admin's charts.
    const admin = await signIn(lms.base, 'admin@school.test', 'admin-demo');
    const charted = await until('the board history to reach the dashboard', async () => {
      const points = (await (await admin.get('/admin/history.json')).json()) as { activeUsers: number }[];
      return points.some((p) => p.activeUsers > 0) ? points : undefined;
    });
    await load.stop();
    expect(await lms.stop()).toBe(0);
    expect(missing(load.acknowledged, storedCompletions(lms.dataDir))).toEqual([]);
    // Only requests in flight on the killed worker may fail: at most one per student, or one more on a pooled
    // connection to it.
    expect(load.failures, 'failed requests').toBeLessThanOrEqual(2 * students);
    expect(lms.log()).toMatch(/worker \d+ died \(SIGKILL\); starting a replacement/);
    // The primary took a verified backup at start (none existed yet).
    expect(readdirSync(join(lms.dataDir, 'backups')).filter((file) => file.endsWith('.db'))).toHaveLength(1);
    // Those points are in the SQLite file a restarted app starts its charts from.
    const history = await openHistory({ path: join(lms.dataDir, 'monitor-history.sqlite') });
    const stored = history.query('board_active_users', { from: 0, to: Date.now(), resolution: '1s' });
    await history.close();
    expect(stored.length).toBeGreaterThanOrEqual(charted.length);
    expect(stored.some((p) => p.value > 0)).toBe(true);
  }, 120_000);

  it('serves pages from L1 and SQLite while Redis is down, and uses Redis again once it is back', async () => {
    redis = await startRedis();
    const lms = await startLms({ WORKERS: '2', REDIS_URL: redis.url });
    const load = await startClassroom(lms.base, lms.dataDir);
    await progressed(load, 5);
    const keys = async () => {
      const client = new Redis(redis?.url as string, { maxRetriesPerRequest: 1 });
      try {
        return await client.keys('pilms-lms:*');
      } finally {
        client.disconnect();
      }
    };
    await until('cache fills in Redis', async () => ((await keys()).length > 0 ? true : undefined));

    await redis.kill();
    const reader = await signIn(lms.base, 'student5@school.test', 'student-demo');
    for (const path of ['/', '/courses/1', '/lessons/2', '/lessons/3'])
      expect((await reader.get(path)).status).toBe(200);
    await progressed(load, 10);

    // Redis restarts empty (no persistence). A teacher's edits make cache misses, whose fills land in Redis once
    // the circuit breaker lets L2 calls through again; then the edit reaches both workers over the Redis bus.
    await redis.start();
    const teacher = await signIn(lms.base, 'teacher1@school.test', 'teacher-demo');
    let edits = 0;
    await until('cache entries in the restarted Redis', async () => {
      await teacher.post('/courses/1/edit', { title: `Edit ${edits++}`, summary: 'x' });
      await teacher.get('/courses/1');
      return (await keys()).length > 0 ? true : undefined;
    });
    expect((await teacher.post('/courses/1/edit', { title: 'After the outage', summary: 'x' })).status).toBe(303);
    await until('both workers to serve the edit', async () => {
      const titles: (string | undefined)[] = [];
      for (let i = 0; i < 4; i++) titles.push(/<h1>([^<]*)</.exec(await (await reader.get('/courses/1')).text())?.[1]);
      return titles.every((t) => t === 'After the outage') ? true : undefined;
    });
    await progressed(load, 5);
    await load.stop();
    expect(await lms.stop()).toBe(0);
    expect(missing(load.acknowledged, storedCompletions(lms.dataDir))).toEqual([]);
  }, 120_000);

  it('says the tutor is offline when Ollama vanishes mid-answer, keeps other pages up, and answers once it is back', async () => {
    const port = await freePort();
    simulator = await startOllamaSimulator({ port, timeScale: 5 });
    // Settings from a config file this time (PILMS_CONFIG), as a systemd unit would pass them.
    const config = join(await tempDir('pilms-lms-config-'), 'pilms-lms.json');
    writeFileSync(config, JSON.stringify({ WORKERS: 1, OLLAMA_HOST: simulator.host }));
    const lms = await startLms({ PILMS_CONFIG: config });
    expect(lms.log()).toContain('with 1 worker(s)');
    const student = await signIn(lms.base, 'student1@school.test', 'student-demo');

    const stream = await student.get('/lessons/1/tutor?q=What%20is%20a%20cell%3F');
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let events = '';
    while (!events.includes('event: token')) {
      const chunk = await reader.read();
      if (chunk.done) throw new Error(`The tutor stream ended before its first token: ${events}`);
      events += decoder.decode(chunk.value);
    }
    await simulator.close();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
      events += decoder.decode(chunk.value);
    expect(events).toContain('event: offline\ndata: "the AI tutor is offline"');
    expect(events).not.toContain('event: done');

    for (const path of ['/', '/courses/1', '/lessons/2']) expect((await student.get(path)).status).toBe(200);
    expect((await student.post('/lessons/2/complete')).status).toBe(303);

    simulator = await startOllamaSimulator({ port, timeScale: 1000 });
    const answer = await until('the tutor to answer again', async () => {
      const body = await (await student.get('/lessons/1/tutor?q=And%20a%20nucleus%3F')).text();
      return body.includes('event: done') ? body : undefined;
    });
    expect(answer).toMatch(/event: token\ndata: "[^"]+"/);
    expect(await lms.stop()).toBe(0);
    const { userId } = lessonsOf(lms.dataDir, 'student1@school.test');
    expect(storedCompletions(lms.dataDir).has(`${userId}:2`)).toBe(true);
  }, 120_000);
});
