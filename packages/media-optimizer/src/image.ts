import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { defaults } from './defaults.js';
import {
  CorruptMediaError,
  InvalidOptionError,
  MediaCancelledError,
  MediaLimitError,
  PilmsMediaError,
} from './errors.js';
import { checkInput, type MediaLimits } from './limits.js';
import { buildMarkup, type ImageMarkup, type ImageVariant } from './markup.js';
import { imageFormats } from './sniff.js';
import { contentKey, type FileLayer, nodeFileLayer, readManifest, writeAsset, writeOrFail } from './store.js';
import { assertNumber, assertOneOf } from './validate.js';

/** Still-image output formats. */
export type StillFormat = 'avif' | 'webp' | 'jpeg';

/** Options of {@link optimizeImage}. */
export interface OptimizeImageOptions {
  /** Directory that holds one sub-directory per asset, named by its content hash. Required. */
  outDir: string;
  /** Target widths. Default `[320, 640, 1024, 1920]`. */
  widths?: readonly number[];
  /** Output formats. Default `['avif', 'webp', 'jpeg']`. */
  formats?: readonly StillFormat[];
  /** Per-format quality 1-100. Default `{ jpeg: 85, webp: 80, avif: 60 }` (each looks like a JPEG at 85). */
  quality?: Partial<Record<StillFormat, number>>;
  /** AVIF effort 0-9. Default 2 (sharp's default 4 is several times slower on ARM). */
  avifEffort?: number;
  /** Animated GIF/WebP: `'keep'` (animated WebP + GIF) or `'first-frame'`. Default `'keep'`. */
  animated?: 'keep' | 'first-frame';
  /** LQIP width in px, or 0 for none. Default 16. */
  lqipWidth?: number;
  /** Prefix of variant URLs in the markup; the URL is `<urlPrefix>/<hash>/<file>`. Default `'/media/images'`. */
  urlPrefix?: string;
  /** `sizes` attribute. Default `'(max-width: 1024px) 100vw, 1024px'`. */
  sizes?: string;
  /** `alt` text of the `<img>`. Default `''`. */
  alt?: string;
  /** Limits checked before decoding. Default `defaults.limits` (30 MiB, 40 MP, photo formats only). */
  limits?: MediaLimits;
  /** File operations used for outputs. Default: node:fs. */
  fileLayer?: FileLayer;
  /** Cancels between variants; partial outputs are removed. Default: none. */
  signal?: AbortSignal;
}

/** What is stored in an image asset's `manifest.json`. */
export interface ImageManifest {
  kind: 'image';
  hash: string;
  source: { format: string; width: number; height: number; bytes: number; animated: boolean };
  variants: ImageVariant[];
  /** `data:` URI of a tiny blurred WebP, or `undefined` when disabled. */
  lqip?: string;
}

/** What {@link optimizeImage} returns. */
export interface ImageResult extends ImageManifest, ImageMarkup {
  /** Directory holding the variants and the manifest. */
  dir: string;
  /** `true` when the asset already existed and nothing was decoded or encoded. */
  cached: boolean;
}

let sharpTuned = false;

/**
 * Sets libvips threads and cache for a small board (defaults: 2 threads, 16 MB cache).
 * {@link optimizeImage} calls it once with the defaults; call it yourself first to choose other values.
 */
export function tuneSharp(options: { concurrency?: number; cacheMemoryMb?: number } = {}): void {
  sharpTuned = true;
  sharp.concurrency(options.concurrency ?? defaults.sharpConcurrency);
  sharp.cache({ memory: options.cacheMemoryMb ?? defaults.sharpCacheMemoryMb, files: 0, items: 50 });
}

interface Settings {
  widths: number[];
  formats: StillFormat[];
  quality: Record<StillFormat, number>;
  avifEffort: number;
  animated: 'keep' | 'first-frame';
  lqipWidth: number;
}

function resolveSettings(options: OptimizeImageOptions): Settings {
  if (typeof options.outDir !== 'string' || options.outDir === '') {
    throw new InvalidOptionError('outDir', 'a non-empty directory path', options.outDir);
  }
  const widths = [...(options.widths ?? defaults.widths)];
  if (widths.length === 0) throw new InvalidOptionError('widths', 'a non-empty array of widths', widths);
  for (const [i, w] of widths.entries()) assertNumber(`widths[${i}]`, w, 1, true);
  const formats = [...(options.formats ?? defaults.formats)];
  if (formats.length === 0) throw new InvalidOptionError('formats', 'a non-empty array of formats', formats);
  for (const [i, f] of formats.entries()) assertOneOf(`formats[${i}]`, f, ['avif', 'webp', 'jpeg']);
  const quality = { ...defaults.quality, ...options.quality };
  for (const [format, q] of Object.entries(quality)) assertNumber(`quality.${format}`, q, 1, true);
  const avifEffort = options.avifEffort ?? defaults.avifEffort;
  assertNumber('avifEffort', avifEffort, 0, true);
  const animated = options.animated ?? defaults.animated;
  assertOneOf('animated', animated, ['keep', 'first-frame']);
  const lqipWidth = options.lqipWidth ?? defaults.lqipWidth;
  assertNumber('lqipWidth', lqipWidth, 0, true);
  return { widths: [...new Set(widths)].sort((a, b) => a - b), formats, quality, avifEffort, animated, lqipWidth };
}

/** Widths to produce for a source: never upscaled; the source width is added when below the largest target. */
export function targetWidths(sourceWidth: number, widths: readonly number[]): number[] {
  const kept = widths.filter((w) => w <= sourceWidth);
  if (sourceWidth < Math.max(...widths)) kept.push(sourceWidth);
  return [...new Set(kept)].sort((a, b) => a - b);
}

/**
 * Turns one uploaded image into responsive AVIF/WebP/JPEG variants from a single decode,
 * stored content-addressed under `outDir`; a second call with the same bytes and options does no work.
 */
export async function optimizeImage(input: string | Uint8Array, options: OptimizeImageOptions): Promise<ImageResult> {
  const settings = resolveSettings(options);
  const fs = options.fileLayer ?? nodeFileLayer;
  const limits = options.limits ?? {};
  const { format, sizeBytes } = await checkInput(
    input,
    limits.maxInputBytes ?? defaults.limits.maxImageBytes,
    limits.allowedFormats ?? imageFormats,
  );
  const bytes = typeof input === 'string' ? await readFile(input) : input;
  const hash = contentKey(bytes, settings);
  const dir = join(options.outDir, hash);
  const existing = await readManifest<ImageManifest>(fs, dir);
  const manifest =
    existing ??
    (await writeAsset(fs, options.outDir, hash, async (tempDir) => {
      if (!sharpTuned) tuneSharp();
      const maxPixels = limits.maxPixels ?? defaults.limits.maxPixels;
      const animatable = format === 'gif' || format === 'webp';
      const meta = await readMetadata(bytes, maxPixels, animatable);
      const animated = animatable && (meta.pages ?? 1) > 1 && settings.animated === 'keep';
      const source = { format, width: 0, height: 0, bytes: sizeBytes, animated };
      const job: EncodeJob = { bytes, maxPixels, settings, dir: tempDir, fs, source, signal: options.signal };
      const { variants, lqip } = animated ? await encodeAnimated(job) : await encodeStill(job);
      const result: ImageManifest = { kind: 'image', hash, source, variants };
      if (lqip !== undefined) result.lqip = lqip;
      return result;
    }));
  const urlPrefix = options.urlPrefix ?? '/media/images';
  const markup = buildMarkup(manifest.variants, (v) => `${urlPrefix}/${hash}/${v.file}`, {
    sizes: options.sizes ?? defaults.sizes,
    alt: options.alt ?? '',
    lqip: manifest.lqip,
  });
  return { ...manifest, ...markup, dir, cached: existing !== undefined };
}

/** `animated` only for GIF/WebP: a multi-item HEIF (AVIF grids) is not an animation and fails as one. */
async function readMetadata(bytes: Uint8Array, maxPixels: number, animated: boolean): Promise<sharp.Metadata> {
  let meta: sharp.Metadata;
  try {
    // Header only, with sharp's own pixel limit off so a bomb is reported as a limit, not a decode error.
    meta = await sharp(bytes, { limitInputPixels: false, animated }).metadata();
  } catch (error) {
    throw new CorruptMediaError(`its header is unreadable (${(error as Error).message})`, { cause: error });
  }
  if (!meta.width || !meta.height) throw new CorruptMediaError('it declares no dimensions');
  const pixels = meta.width * meta.height;
  if (pixels > maxPixels) throw new MediaLimitError('maxPixels', maxPixels, pixels);
  return meta;
}

function wrapDecode<T>(work: Promise<T>): Promise<T> {
  return work.catch((error: unknown) => {
    if (PilmsMediaError.isInstance(error)) throw error;
    throw new CorruptMediaError(`decoding failed (${(error as Error).message})`, { cause: error });
  });
}

function encoder(image: Sharp, format: StillFormat, settings: Settings, hasAlpha: boolean): Sharp {
  const quality = settings.quality[format];
  const srgb = image.withIccProfile('srgb');
  if (format === 'avif') return srgb.avif({ quality, effort: settings.avifEffort });
  if (format === 'webp') return srgb.webp({ quality, effort: 4 });
  return (hasAlpha ? srgb.flatten({ background: '#ffffff' }) : srgb).jpeg({
    quality,
    progressive: true,
    mozjpeg: true,
  });
}

/** One image being encoded into a temp asset directory; `source` is filled in with the oriented size. */
interface EncodeJob {
  bytes: Uint8Array;
  maxPixels: number;
  settings: Settings;
  dir: string;
  fs: FileLayer;
  source: ImageManifest['source'];
  signal: AbortSignal | undefined;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new MediaCancelledError();
}
type Encoded = { variants: ImageVariant[]; lqip: string | undefined };

async function encodeStill({ bytes, maxPixels, settings, dir, fs, source, signal }: EncodeJob): Promise<Encoded> {
  // The one decode: EXIF-rotated, converted to sRGB, metadata dropped; every variant resizes this raw copy.
  const decoded = await wrapDecode(
    sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error' })
      .rotate()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true }),
  );
  const raw = { width: decoded.info.width, height: decoded.info.height, channels: decoded.info.channels };
  Object.assign(source, { width: raw.width, height: raw.height });
  const hasAlpha = raw.channels === 2 || raw.channels === 4;
  // Largest first, each width resized from the previous one: every resize reads the smallest
  // buffer that still holds enough pixels, instead of the full decode each time.
  const sizes: { data: Buffer; raw: typeof raw }[] = [];
  let previous = { data: decoded.data, raw };
  for (const width of targetWidths(raw.width, settings.widths).reverse()) {
    throwIfAborted(signal);
    if (width !== previous.raw.width) {
      const resized = await sharp(previous.data, { raw: previous.raw })
        .resize({ width })
        .raw()
        .toBuffer({ resolveWithObject: true });
      previous = {
        data: resized.data,
        raw: { width: resized.info.width, height: resized.info.height, channels: resized.info.channels },
      };
    }
    sizes.push(previous);
  }
  // All encodes at once: libuv's pool (4 threads) bounds the parallelism and memory, and no core
  // idles between widths. allSettled so nothing still writes into the temp dir while it is removed.
  const settled = await Promise.allSettled(
    sizes.reverse().flatMap((size) =>
      settings.formats.map(async (format): Promise<ImageVariant> => {
        const data = await encoder(sharp(size.data, { raw: size.raw }), format, settings, hasAlpha).toBuffer();
        throwIfAborted(signal);
        const file = `${size.raw.width}.${format === 'jpeg' ? 'jpg' : format}`;
        await writeOrFail(fs, join(dir, file), data);
        return { width: size.raw.width, height: size.raw.height, format, file, bytes: data.byteLength };
      }),
    ),
  );
  const failure = settled.find((result) => result.status === 'rejected');
  if (failure) throw failure.reason;
  const variants = settled.map((result) => (result as PromiseFulfilledResult<ImageVariant>).value);
  const lqip =
    settings.lqipWidth > 0
      ? await toLqip(
          sharp(previous.data, { raw: previous.raw }).resize({
            width: Math.min(settings.lqipWidth, previous.raw.width),
          }),
        )
      : undefined;
  return { variants, lqip };
}

async function encodeAnimated({ bytes, maxPixels, settings, dir, fs, source, signal }: EncodeJob): Promise<Encoded> {
  // libvips cannot resize a stack of frames from one raw buffer, so animations decode per width.
  const open = () => sharp(bytes, { animated: true, limitInputPixels: maxPixels, failOn: 'error' });
  const meta = await wrapDecode(open().metadata());
  const width = meta.width ?? 0;
  Object.assign(source, { width, height: meta.pageHeight ?? meta.height ?? 0 });
  const variants: ImageVariant[] = [];
  for (const target of targetWidths(width, settings.widths)) {
    throwIfAborted(signal);
    for (const format of ['webp', 'gif'] as const) {
      const out = open().resize({ width: target });
      const { data, info } = await wrapDecode(
        (format === 'webp' ? out.webp({ quality: settings.quality.webp, effort: 4 }) : out.gif()).toBuffer({
          resolveWithObject: true,
        }),
      );
      const file = `${target}.${format}`;
      await writeOrFail(fs, join(dir, file), data);
      variants.push({
        width: info.width,
        height: info.pageHeight ?? info.height,
        format,
        file,
        bytes: data.byteLength,
      });
    }
  }
  const firstFrame = sharp(bytes, { limitInputPixels: maxPixels });
  const lqip = settings.lqipWidth > 0 ? await toLqip(firstFrame.resize({ width: settings.lqipWidth })) : undefined;
  return { variants, lqip };
}

async function toLqip(image: Sharp): Promise<string> {
  const data = await wrapDecode(image.blur(1).webp({ quality: 40 }).toBuffer());
  return `data:image/webp;base64,${data.toString('base64')}`;
}
