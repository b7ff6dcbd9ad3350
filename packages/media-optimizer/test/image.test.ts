import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { fixture, tempDir } from '../../../test/support/index.js';
import {
  CorruptMediaError,
  type FileLayer,
  InvalidOptionError,
  MediaCancelledError,
  MediaLimitError,
  MediaWriteError,
  nodeFileLayer,
  optimizeImage,
  UnsupportedFormatError,
} from '../src/index.js';

const small = { widths: [160, 320] } as const;

async function expectNothingWritten(outDir: string) {
  expect(await readdir(outDir)).toEqual([]);
}

describe('optimizeImage', () => {
  it('turns a large photo into 12 variants, never upscaled, with srcset, sizes and a <picture>', async () => {
    const outDir = await tempDir();
    const result = await optimizeImage(fixture('2569067123_aca715a2ee_o.jpg'), { outDir, alt: 'A "photo"' });
    expect(result.variants.map((v) => `${v.width}.${v.format}`)).toEqual([
      '320.avif',
      '320.webp',
      '320.jpeg',
      '640.avif',
      '640.webp',
      '640.jpeg',
      '1024.avif',
      '1024.webp',
      '1024.jpeg',
      '1920.avif',
      '1920.webp',
      '1920.jpeg',
    ]);
    expect(result.source).toMatchObject({ format: 'jpeg', width: 2725, height: 2225 });
    const jpeg = await sharp(join(result.dir, '1024.jpg')).metadata();
    expect(jpeg).toMatchObject({ width: 1024, isProgressive: true });
    expect(jpeg.exif).toBeUndefined();
    expect(jpeg.icc).toBeInstanceOf(Buffer);
    expect((await sharp(join(result.dir, '640.avif')).metadata()).format).toBe('heif');
    expect(result.srcset.avif).toBe(
      `/media/images/${result.hash}/320.avif 320w, /media/images/${result.hash}/640.avif 640w, /media/images/${result.hash}/1024.avif 1024w, /media/images/${result.hash}/1920.avif 1920w`,
    );
    expect(result.picture).toContain('<source type="image/avif"');
    expect(result.picture).toContain(`<img src="/media/images/${result.hash}/1024.jpg"`);
    expect(result.picture).toContain('alt="A &quot;photo&quot;"');
    expect(result.lqip).toMatch(/^data:image\/webp;base64,/);
    const source = (await stat(fixture('2569067123_aca715a2ee_o.jpg'))).size;
    const at1024 = result.variants.filter((v) => v.width === 1024).reduce((sum, v) => sum + v.bytes, 0);
    expect(at1024).toBeLessThan(source * 0.4);
  });

  it('does no work the second time for the same bytes and options', async () => {
    const outDir = await tempDir();
    const first = await optimizeImage(fixture('320x240.jpg'), { outDir, ...small });
    const before = (await stat(join(first.dir, '160.avif'))).mtimeMs;
    const second = await optimizeImage(await readFile(fixture('320x240.jpg')), { outDir, ...small });
    expect(first.cached).toBe(false);
    expect(second.cached).toBe(true);
    expect(second.hash).toBe(first.hash);
    expect((await stat(join(first.dir, '160.avif'))).mtimeMs).toBe(before);
    const third = await optimizeImage(fixture('320x240.jpg'), { outDir, ...small, quality: { jpeg: 70 } });
    expect(third.hash).not.toBe(first.hash);
    expect(JSON.parse(await readFile(join(first.dir, 'manifest.json'), 'utf8'))).toMatchObject({ hash: first.hash });
  });

  it('adds the source width when it is below the largest target and never upscales', async () => {
    const outDir = await tempDir();
    const result = await optimizeImage(fixture('320x240.jpg'), { outDir, formats: ['jpeg'] });
    expect(result.variants.map((v) => [v.width, v.height])).toEqual([[320, 240]]);
  });

  it('applies EXIF orientation 6 before resizing and strips the EXIF data', async () => {
    const outDir = await tempDir();
    const result = await optimizeImage(fixture('Landscape_6.jpg'), { outDir, formats: ['jpeg'] });
    expect(result.source).toMatchObject({ width: 600, height: 450 });
    expect(result.variants.map((v) => [v.width, v.height])).toEqual([
      [320, 240],
      [600, 450],
    ]);
    const meta = await sharp(join(result.dir, '600.jpg')).metadata();
    expect(meta.orientation).toBeUndefined();
    expect(meta.exif).toBeUndefined();
  });

  it('converts a CMYK JPEG to sRGB outputs', async () => {
    const outDir = await tempDir();
    const result = await optimizeImage(fixture('Channel_digital_image_CMYK_color.jpg'), { outDir, ...small });
    const meta = await sharp(join(result.dir, '320.jpg')).metadata();
    expect(meta).toMatchObject({ space: 'srgb', channels: 3 });
    const webp = await sharp(join(result.dir, '320.webp')).metadata();
    expect(webp.space).toBe('srgb');
  });

  it('keeps alpha of a 16-bit PNG in AVIF and WebP and flattens it for JPEG', async () => {
    const outDir = await tempDir();
    const result = await optimizeImage(fixture('bggn4a16.png'), { outDir });
    expect(result.variants.map((v) => v.width)).toEqual([32, 32, 32]);
    expect((await sharp(join(result.dir, '32.webp')).metadata()).hasAlpha).toBe(true);
    expect((await sharp(join(result.dir, '32.avif')).metadata()).hasAlpha).toBe(true);
    expect((await sharp(join(result.dir, '32.jpg')).metadata()).hasAlpha).toBe(false);
  });

  it('handles a 1x1 image', async () => {
    const outDir = await tempDir();
    const pixel = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#336699' } })
      .png()
      .toBuffer();
    const result = await optimizeImage(pixel, { outDir });
    expect(result.variants.map((v) => `${v.width}x${v.height}.${v.format}`)).toEqual([
      '1x1.avif',
      '1x1.webp',
      '1x1.jpeg',
    ]);
  });

  it('accepts AVIF and TIFF uploads recognised by their content', async () => {
    const outDir = await tempDir();
    const avif = await optimizeImage(fixture('pitm.avif'), { outDir, widths: [320], formats: ['webp'] });
    // A multi-item HEIF is not an animation: it is decoded as a still image, never via the animated path.
    expect(avif.source).toMatchObject({ format: 'avif', animated: false });
    expect(avif.variants.map((v) => v.width)).toEqual([320]);
    const tiff = await optimizeImage(fixture('uncompressed_tiff.tiff'), { outDir, widths: [320], formats: ['jpeg'] });
    expect(tiff.source).toMatchObject({ format: 'tiff', width: 246, height: 345 });
  });

  it('keeps an animated GIF animated, or takes its first frame when asked', async () => {
    const outDir = await tempDir();
    const kept = await optimizeImage(fixture('animated-loop-3.gif'), { outDir, widths: [200] });
    expect(kept.variants.map((v) => v.file)).toEqual(['200.webp', '200.gif']);
    expect((await sharp(join(kept.dir, '200.webp'), { animated: true }).metadata()).pages).toBe(10);
    expect(kept.picture).toContain('<source type="image/webp"');
    const still = await optimizeImage(fixture('animated-loop-3.webp'), {
      outDir,
      widths: [200],
      animated: 'first-frame',
    });
    expect(still.variants.map((v) => v.file)).toEqual(['200.avif', '200.webp', '200.jpg']);
    expect((await sharp(join(still.dir, '200.webp'), { animated: true }).metadata()).pages ?? 1).toBe(1);
  });
});

describe('optimizeImage with bad input', () => {
  it('rejects a zero-byte file as corrupt and writes nothing', async () => {
    const outDir = await tempDir();
    const empty = join(await tempDir(), 'empty.jpg');
    await writeFile(empty, '');
    await expect(optimizeImage(empty, { outDir })).rejects.toBeInstanceOf(CorruptMediaError);
    await expectNothingWritten(outDir);
  });

  it('rejects a truncated JPEG as corrupt and leaves no partial asset', async () => {
    const outDir = await tempDir();
    const error = await optimizeImage(fixture('truncated.jpg'), { outDir, ...small }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptMediaError);
    expect((error as CorruptMediaError).code).toBe('PILMS_MEDIA_CORRUPT');
    await expectNothingWritten(outDir);
  });

  it('rejects a JPEG whose header is corrupt', async () => {
    const outDir = await tempDir();
    await expect(optimizeImage(fixture('corrupt-header.jpg'), { outDir })).rejects.toBeInstanceOf(CorruptMediaError);
    await expectNothingWritten(outDir);
  });

  it('rejects a truncated PNG as corrupt', async () => {
    const outDir = await tempDir();
    const png = await readFile(fixture('Flag_of_the_Netherlands-16bit.png'));
    await expect(optimizeImage(png.subarray(0, png.length / 2), { outDir })).rejects.toBeInstanceOf(CorruptMediaError);
    await expectNothingWritten(outDir);
  });

  it('rejects a text file renamed .jpg by its content, not its name', async () => {
    const outDir = await tempDir();
    const fake = join(await tempDir(), 'holiday.jpg');
    await writeFile(fake, 'this is not an image, just some notes\n');
    const error = await optimizeImage(fake, { outDir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedFormatError);
    expect((error as UnsupportedFormatError).detected).toBe('unknown');
    await expectNothingWritten(outDir);
  });

  it('rejects SVG by default because it can carry scripts and external references', async () => {
    const outDir = await tempDir();
    const error = await optimizeImage(fixture('check.svg'), { outDir }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'PILMS_MEDIA_UNSUPPORTED_FORMAT', detected: 'svg' });
  });

  it('rejects a decompression bomb from its header before decoding', async () => {
    const outDir = await tempDir();
    const error = await optimizeImage(fixture('65536-uint32-limit.png'), { outDir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MediaLimitError);
    expect(error).toMatchObject({ limit: 'maxPixels', max: 40_000_000, actual: 65536 * 65536 });
    await expectNothingWritten(outDir);
  });

  it('rejects an input over maxInputBytes before reading it fully', async () => {
    const outDir = await tempDir();
    const error = await optimizeImage(fixture('320x240.jpg'), { outDir, limits: { maxInputBytes: 1000 } }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'PILMS_MEDIA_LIMIT', limit: 'maxInputBytes', max: 1000, actual: 81198 });
  });

  it('reports a write error (disk full) as MediaWriteError and removes every partial output', async () => {
    const outDir = await tempDir();
    let writes = 0;
    const failing: FileLayer = {
      ...nodeFileLayer,
      async writeFile(path, data) {
        writes += 1;
        if (writes === 3) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        await nodeFileLayer.writeFile(path, data);
      },
    };
    const error = await optimizeImage(fixture('320x240.jpg'), { outDir, ...small, fileLayer: failing }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MediaWriteError);
    expect((error as MediaWriteError).cause).toMatchObject({ code: 'ENOSPC' });
    await expectNothingWritten(outDir);
    const retry = await optimizeImage(fixture('320x240.jpg'), { outDir, ...small });
    expect(retry.cached).toBe(false);
    expect(retry.variants).toHaveLength(6);
  });

  it('stops when cancelled after its first output and removes what it wrote', async () => {
    const outDir = await tempDir();
    const controller = new AbortController();
    const counting: FileLayer = {
      ...nodeFileLayer,
      async writeFile(path, data) {
        await nodeFileLayer.writeFile(path, data);
        controller.abort();
      },
    };
    const error = await optimizeImage(fixture('320x240.jpg'), {
      outDir,
      ...small,
      fileLayer: counting,
      signal: controller.signal,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MediaCancelledError);
    await expectNothingWritten(outDir);
  });

  it('validates options with messages that name the option', async () => {
    const outDir = await tempDir();
    await expect(optimizeImage(fixture('320x240.jpg'), { outDir, avifEffort: -1 })).rejects.toThrow(
      'Expected `avifEffort` to be a finite integer >= 0, got -1',
    );
    await expect(optimizeImage(fixture('320x240.jpg'), { outDir, widths: [] })).rejects.toBeInstanceOf(
      InvalidOptionError,
    );
  });
});
