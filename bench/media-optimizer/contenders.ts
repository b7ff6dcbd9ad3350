import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Image from '@11ty/eleventy-img';
import { defaults, optimizeImage } from '@pilms/media-optimizer';
import sharp from 'sharp';

const widths = [...defaults.widths];
const formats = [...defaults.formats];
const q = defaults.quality;

/** A fresh output directory per run, so no contender benefits from a cache. */
export const freshDir = (label: string) => mkdtempSync(join(tmpdir(), `pilms-bench-${label}-`));

/** Ours: one decode, every width resized from it, every format encoded from each resize. */
export async function ours(source: string): Promise<void> {
  await optimizeImage(source, { outDir: freshDir('ours'), lqipWidth: 0 });
}

/** The naive loop: one full sharp pipeline (decode, rotate, resize, encode) per variant, same encoder settings. */
export async function naive(source: string): Promise<void> {
  const dir = freshDir('naive');
  for (const width of widths) {
    for (const format of formats) {
      const pipeline = sharp(source).rotate().resize({ width, withoutEnlargement: true });
      const encoded =
        format === 'avif'
          ? pipeline.avif({ quality: q.avif, effort: defaults.avifEffort })
          : format === 'webp'
            ? pipeline.webp({ quality: q.webp })
            : pipeline.jpeg({ quality: q.jpeg, progressive: true, mozjpeg: true });
      await encoded.toFile(join(dir, `${width}.${format}`));
    }
  }
}

/** @11ty/eleventy-img doing the same job with the same encoder settings and its cache off. */
export async function eleventy(source: string): Promise<void> {
  await Image(source, {
    widths,
    formats,
    outputDir: freshDir('eleventy'),
    useCache: false,
    sharpAvifOptions: { quality: q.avif, effort: defaults.avifEffort },
    sharpWebpOptions: { quality: q.webp },
    sharpJpegOptions: { quality: q.jpeg, progressive: true, mozjpeg: true },
  });
}
