import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/support/index.js';
import { type OllamaSimulator, startOllamaSimulator } from '../../../test/support/ollama-simulator/index.js';
import { buildApp, type LmsApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { seededDataDir } from './seeded.js';

let dir = '';
const apps: LmsApp[] = [];
let simulator: OllamaSimulator | undefined;

beforeAll(async () => {
  dir = await seededDataDir('pilms-lms-tutor-');
});

afterAll(async () => {
  for (const lms of apps) await lms.close();
  await simulator?.close();
});

async function ask(
  env: Record<string, string>,
  question: string,
): Promise<{ status: number; body: string; type: string }> {
  const lms = buildApp(loadConfig({ DATA_DIR: dir, ...env }));
  apps.push(lms);
  const login = await lms.app.inject({
    method: 'POST',
    url: '/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'email=student1%40school.test&password=student-demo',
  });
  const cookie = String(login.headers['set-cookie']).split(';')[0] as string;
  const lesson = await lms.app.inject({ url: '/lessons/1', headers: { cookie } });
  expect(lesson.statusCode).toBe(200);
  const reply = await lms.app.inject({
    url: `/lessons/1/tutor?q=${encodeURIComponent(question)}`,
    headers: { cookie },
  });
  return { status: reply.statusCode, body: reply.body, type: String(reply.headers['content-type']) };
}

describe('the AI tutor chat', () => {
  it('says the AI tutor is offline when Ollama is absent, and the lesson page still works', async () => {
    const reply = await ask({ OLLAMA_HOST: `http://127.0.0.1:${await freePort()}` }, 'What is a cell?');
    expect(reply.type).toContain('text/event-stream');
    expect(reply.body).toContain('event: offline\ndata: "the AI tutor is offline"');
  });

  for (const perf of ['on', 'off']) {
    it(`streams an answer as server-sent events from Ollama with performance packages ${perf}`, async () => {
      simulator ??= await startOllamaSimulator({ timeScale: 1000 });
      const reply = await ask({ OLLAMA_HOST: simulator.host, PILMS_PERF: perf }, 'What is a cell?');
      const tokens = [...reply.body.matchAll(/event: token\ndata: (.*)\n\n/g)].map((m) => JSON.parse(m[1] as string));
      expect(tokens.length).toBeGreaterThan(1);
      expect(tokens.join('').length).toBeGreaterThan(10);
      expect(reply.body.trimEnd().endsWith('event: done\ndata: ""')).toBe(true);
    });
  }
});
