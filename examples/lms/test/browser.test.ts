import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, launchChromium } from '../../../test/support/index.js';
import { type OllamaSimulator, startOllamaSimulator } from '../../../test/support/ollama-simulator/index.js';
import { buildApp, type LmsApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { seededDataDir } from './seeded.js';

// The test tsconfig has no DOM lib; these are the few element fields read in the page.
type ObserverClass = new (callback: () => void) => { observe(target: unknown, options: object): void };
interface VideoElement {
  readyState: number;
  duration: number;
  currentTime: number;
  addEventListener(type: 'seeked', listener: () => void, options: { once: boolean }): void;
}
interface ImageElement {
  naturalWidth: number;
  currentSrc: string;
}
interface CanvasElement {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
}

const output = resolve(import.meta.dirname, 'output');
let lms: LmsApp;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let base = '';
let dataDir = '';

beforeAll(async () => {
  const dir = await seededDataDir('pilms-lms-browser-');
  dataDir = dir;
  lms = buildApp(loadConfig({ DATA_DIR: dir, OLLAMA_HOST: `http://127.0.0.1:${await freePort()}` }));
  const port = await freePort();
  await lms.app.listen({ port, host: '127.0.0.1' });
  base = `http://127.0.0.1:${port}`;
  await mkdir(output, { recursive: true });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await lms?.close();
});

async function signIn(email: string, password: string) {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 390, height: 800 });
  await page.goto(`${base}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/`);
  return page;
}

describe('video, tutor and written answers in a real browser', () => {
  let simulator: OllamaSimulator;
  let ai: LmsApp;
  let aiBase = '';

  beforeAll(async () => {
    // A second app on the same data with Ollama present: the first one keeps proving the offline path.
    simulator = await startOllamaSimulator({ timeScale: 20 });
    ai = buildApp(loadConfig({ DATA_DIR: dataDir, OLLAMA_HOST: simulator.host }));
    const port = await freePort();
    await ai.app.listen({ port, host: '127.0.0.1' });
    aiBase = `http://127.0.0.1:${port}`;
  }, 60_000);

  afterAll(async () => {
    await ai?.close();
    await simulator?.close();
  });

  it('lets a student seek in the video lesson, answered with 206 partial content', async () => {
    const page = await signIn('student3@school.test', 'student-demo');
    const partial: string[] = [];
    page.on('response', (response) => {
      if (response.url().includes('/media/av/') && response.status() === 206) partial.push(response.url());
    });
    await page.goto(`${base}/lessons/2`);
    const video = page.locator('article video');
    await video.scrollIntoViewIfNeeded();
    await expect.poll(() => video.evaluate((v) => (v as unknown as VideoElement).readyState)).toBeGreaterThan(0);
    expect(await video.evaluate((v) => (v as unknown as VideoElement).duration)).toBeGreaterThan(9);
    const landed = await video.evaluate(
      (v) =>
        new Promise<number>((done) => {
          const element = v as unknown as VideoElement;
          element.addEventListener('seeked', () => done(element.currentTime), { once: true });
          element.currentTime = 6;
        }),
    );
    expect(Math.abs(landed - 6)).toBeLessThan(0.5);
    expect(partial.length).toBeGreaterThan(0);
    await page.screenshot({ path: join(output, 'student-video-lesson.png'), fullPage: true });
    await page.close();
  });

  it('streams the AI tutor answer into the page token by token until it completes', async () => {
    const page = await signIn('student3@school.test', 'student-demo');
    await page.goto(`${aiBase}/lessons/1`);
    const answer = page.locator('#answer');
    // Every text change of the answer is recorded, so the test sees it grow rather than only its final state.
    await answer.evaluate((element) => {
      const lengths: number[] = [];
      (globalThis as unknown as { lengths: number[] }).lengths = lengths;
      const Observer = (globalThis as unknown as { MutationObserver: ObserverClass }).MutationObserver;
      new Observer(() => lengths.push(String(element.textContent).length)).observe(element, {
        childList: true,
        characterData: true,
        subtree: true,
      });
    });
    await page.getByLabel('Your question').fill('What is a cell?');
    await page.getByRole('button', { name: 'Ask' }).click();
    await expect.poll(() => answer.getAttribute('aria-busy'), { timeout: 30_000 }).toBe('false');
    const lengths = await page.evaluate(() => (globalThis as unknown as { lengths: number[] }).lengths);
    const growing = lengths.slice(1).filter((length, i) => length > (lengths[i] ?? 0));
    expect(growing.length).toBeGreaterThan(3);
    expect(await answer.textContent()).not.toBe('the AI tutor is offline');
    expect(String(await answer.textContent()).length).toBeGreaterThan(20);
    await page.screenshot({ path: join(output, 'student-tutor.png') });
    await page.close();
  });

  it('lets a student send a written answer, see the AI grade, and the teacher review it', async () => {
    const student = await signIn('student3@school.test', 'student-demo');
    await student.goto(`${aiBase}/lessons/3`);
    await student.getByLabel('main idea of Biology 1.3').fill('Cells make up all living things, like skin cells.');
    await student.getByRole('button', { name: 'Send my answer' }).click();
    await expect.poll(() => student.locator('.grade').textContent()).toMatch(/Waiting for the AI grader|AI score/);
    await expect
      .poll(
        async () => {
          await student.reload();
          return student.locator('.grade').textContent();
        },
        { timeout: 30_000 },
      )
      .toMatch(/^AI score \d+\/10: [A-Z][a-z ]+\.$/);
    const grade = (await student.locator('.grade').textContent())?.replace('AI score ', '') ?? '';
    await student.close();

    const teacher = await signIn('teacher1@school.test', 'teacher-demo');
    await teacher.goto(`${aiBase}/teacher/grading`);
    const item = teacher.locator('article.answer', { hasText: 'like skin cells' });
    await expect.poll(() => item.textContent()).toContain(grade);
    await item.getByLabel('Score (0-10)').fill('9');
    await item.getByLabel('Comment for the student').fill('Good example.');
    await item.getByRole('button', { name: 'Save review' }).click();
    await expect
      .poll(() => teacher.locator('article.answer', { hasText: 'like skin cells' }).textContent())
      .toContain('reviewed');
    await teacher.screenshot({ path: join(output, 'teacher-grading.png'), fullPage: true });
    await teacher.close();
  });
});

describe('the LMS in a real browser', () => {
  it('lets a student open a lesson with a loaded AVIF/WebP image, answer its quiz and see progress', async () => {
    const page = await signIn('student1@school.test', 'student-demo');
    await page.goto(`${base}/lessons/5`);
    const image = page.locator('article picture img');
    await image.scrollIntoViewIfNeeded();
    await expect.poll(() => image.evaluate((img) => (img as unknown as ImageElement).naturalWidth)).toBeGreaterThan(0);
    const source = await image.evaluate((img) => (img as unknown as ImageElement).currentSrc);
    expect(source).toMatch(/\.(avif|webp)$/);
    await page.getByLabel('Explain it to a classmate').check();
    await page.getByRole('button', { name: 'Check answers' }).click();
    await expect.poll(() => page.locator('.result').textContent()).toContain('Correct');
    await page.screenshot({ path: join(output, 'student-lesson.png'), fullPage: true });
    await page.goto(`${base}/`);
    expect(await page.locator('progress').first().getAttribute('value')).toBe('1');
    await page.close();
  });

  it('shows a student that the AI tutor is offline without breaking the page', async () => {
    const page = await signIn('student2@school.test', 'student-demo');
    await page.goto(`${base}/lessons/1`);
    await page.getByLabel('Your question').fill('What is a cell?');
    await page.getByRole('button', { name: 'Ask' }).click();
    await expect.poll(() => page.locator('#answer').textContent(), { timeout: 15_000 }).toBe('the AI tutor is offline');
    await page.close();
  });

  it('lets a teacher upload an image and see the background job finish', async () => {
    const page = await signIn('teacher1@school.test', 'teacher-demo');
    await page.goto(`${base}/teacher/media`);
    const png = await sharp({ create: { width: 640, height: 400, channels: 3, background: '#3a7' } })
      .png()
      .toBuffer();
    await page.getByLabel('Image').setInputFiles({ name: 'board.png', mimeType: 'image/png', buffer: png });
    await page.getByRole('button', { name: 'Upload' }).click();
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 30_000 }).toMatch(/^Done\./);
    expect(await page.locator('#bar').getAttribute('value')).toBe('100');
    await page.screenshot({ path: join(output, 'teacher-upload.png') });
    await page.close();
  });

  it('draws the admin dashboard charts on non-empty canvases', async () => {
    const page = await signIn('admin@school.test', 'admin-demo');
    await page.goto(`${base}/admin/dashboard`);
    await expect.poll(() => page.locator('canvas').count(), { timeout: 15_000 }).toBe(8);
    const painted = await page.locator('#cpu canvas').evaluate((element) => {
      const canvas = element as unknown as CanvasElement;
      const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      let count = 0;
      for (let i = 3; i < data.length; i += 4) if ((data[i] ?? 0) > 0) count++;
      return count;
    });
    expect(painted).toBeGreaterThan(0);
    await page.screenshot({ path: join(output, 'admin-dashboard.png'), fullPage: true });
    await page.close();
  });
});
