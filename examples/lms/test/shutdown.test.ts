import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { type OllamaSimulator, startOllamaSimulator } from '../../../test/support/ollama-simulator/index.js';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { dbPath } from '../src/storage.js';
import { lessonsOf } from './load.js';
import { killAll, signIn, startLms, until } from './processes.js';
import { seededDataDir } from './seeded.js';
import { sessionCookie } from './session.js';

let simulator: OllamaSimulator | undefined;

afterAll(async () => {
  killAll();
  await simulator?.close();
});

function secondsRead(dataDir: string, userId: number, lessonId: number): number | undefined {
  const db = new Database(dbPath(dataDir), { readonly: true });
  try {
    return db
      .prepare('SELECT seconds FROM reading_time WHERE user_id = ? AND lesson_id = ?')
      .pluck()
      .get(userId, lessonId) as number | undefined;
  } finally {
    db.close();
  }
}

describe('graceful shutdown', () => {
  it('commits heartbeats still waiting in the write-behind when the app closes', async () => {
    const dir = await seededDataDir('pilms-lms-close-');
    const lms = buildApp(loadConfig({ DATA_DIR: dir }));
    const cookie = await sessionCookie(lms.app, 'student1@school.test', 'student-demo');
    const page = await lms.app.inject({ url: '/lessons/1', headers: { cookie } });
    const csrf = /data-csrf="([^"]+)"/.exec(page.body)?.[1] ?? '';
    for (let i = 0; i < 3; i++) {
      const beat = await lms.app.inject({
        method: 'POST',
        url: '/lessons/1/heartbeat',
        headers: { cookie, 'x-csrf-token': csrf },
      });
      expect(beat.statusCode).toBe(204);
    }
    await lms.close();
    const { userId } = lessonsOf(dir, 'student1@school.test');
    expect(secondsRead(dir, userId, 1)).toBe(90);
  });

  it('on SIGTERM, flushes every worker before the primary exits with 0', async () => {
    const lms = await startLms({ WORKERS: '2' });
    const student = await signIn(lms.base, 'student2@school.test', 'student-demo');
    const page = await (await student.get('/lessons/4')).text();
    const csrf = /data-csrf="([^"]+)"/.exec(page)?.[1] ?? '';
    const beats = await Promise.all(
      [1, 2].map(() =>
        fetch(`${lms.base}/lessons/4/heartbeat`, {
          method: 'POST',
          headers: { cookie: student.cookie, 'x-csrf-token': csrf },
        }),
      ),
    );
    expect(beats.map((b) => b.status)).toEqual([204, 204]);
    expect(await lms.stop()).toBe(0);
    const { userId } = lessonsOf(lms.dataDir, 'student2@school.test');
    expect(secondsRead(lms.dataDir, userId, 4)).toBe(60);
  }, 120_000);

  it('on SIGTERM, ends a tutor answer that hangs and still flushes before exiting', async () => {
    simulator = await startOllamaSimulator({ timeScale: 1000 });
    simulator.setFault({ type: 'hang' });
    const lms = await startLms({ WORKERS: '1', OLLAMA_HOST: simulator.host });
    const student = await signIn(lms.base, 'student3@school.test', 'student-demo');
    const page = await (await student.get('/lessons/5')).text();
    const csrf = /data-csrf="([^"]+)"/.exec(page)?.[1] ?? '';
    // The SSE headers arrive at once although Ollama never answers; the body ends when the worker closes it.
    const reply = await student.get('/lessons/5/tutor?q=Anyone%20there%3F');
    expect(reply.headers.get('content-type')).toContain('text/event-stream');
    const stream = reply.text().catch(() => 'connection closed');
    await until('the tutor request to reach Ollama', async () =>
      (simulator?.stats().requests ?? 0) > 0 ? true : undefined,
    );
    const beat = await fetch(`${lms.base}/lessons/5/heartbeat`, {
      method: 'POST',
      headers: { cookie: student.cookie, 'x-csrf-token': csrf },
    });
    expect(beat.status).toBe(204);
    expect(await lms.stop()).toBe(0);
    expect(await stream).toBeTypeOf('string');
    const { userId } = lessonsOf(lms.dataDir, 'student3@school.test');
    expect(secondsRead(lms.dataDir, userId, 5)).toBe(30);
  }, 120_000);
});
