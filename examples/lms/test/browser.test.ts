import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, launchChromium } from '../../../test/support/index.js';
import { buildApp, type LmsApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { seededDataDir } from './seeded.js';

// The test tsconfig has no DOM lib; these are the few element fields read in the page.
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

beforeAll(async () => {
  const dir = await seededDataDir('pilms-lms-browser-');
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
