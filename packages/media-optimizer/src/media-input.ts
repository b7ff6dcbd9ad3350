import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { defaults } from './defaults.js';
import { InvalidOptionError } from './errors.js';
import type { MediaProgress, ProcessOptions, RunFfmpegOptions } from './ffmpeg.js';
import { checkDuration, checkInput, type MediaLimits } from './limits.js';
import { type MediaInfo, probe } from './probe.js';
import { mediaFormats } from './sniff.js';
import { type FileLayer, nodeFileLayer, readManifest, writeAsset } from './store.js';

/** Options shared by {@link transcodeVideo} and {@link transcodeAudio}. */
export interface MediaJobOptions<Stage extends string> extends ProcessOptions {
  /** Directory that holds one sub-directory per asset, named by its content hash. Required. */
  outDir: string;
  /** Limits checked before encoding. Default `defaults.limits` (4 GiB, 3 h, common containers by content). */
  limits?: MediaLimits;
  /** Progress of each ffmpeg stage: percent, fps and ETA. */
  onProgress?: (progress: MediaProgress & { stage: Stage }) => void;
  /** File operations for the asset directory. Default: node:fs. */
  fileLayer?: FileLayer;
}

/** Streams a file through sha256 (cheap next to any encode, and keeps memory flat for big uploads). */
function hashFile(path: string, settings: unknown): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.update('\0').update(JSON.stringify(settings)).digest('hex')));
  });
}

/**
 * The common path of every ffmpeg asset: limits and sniffing, probe, content key, then either the
 * stored manifest (no work) or a build in a temp directory renamed into place.
 */
export async function buildMediaAsset<M, Stage extends string>(
  input: string,
  options: MediaJobOptions<Stage>,
  settings: unknown,
  build: (context: { info: MediaInfo; tempDir: string; hash: string }) => Promise<M>,
): Promise<M & { dir: string; cached: boolean }> {
  if (typeof options.outDir !== 'string' || options.outDir === '') {
    throw new InvalidOptionError('outDir', 'a non-empty directory path', options.outDir);
  }
  const limits = options.limits ?? {};
  const fs = options.fileLayer ?? nodeFileLayer;
  await checkInput(input, limits.maxInputBytes ?? defaults.limits.maxMediaBytes, limits.allowedFormats ?? mediaFormats);
  const info = await probe(input, options);
  checkDuration(info.durationSec, limits);
  const hash = await hashFile(input, settings);
  const dir = join(options.outDir, hash);
  const existing = await readManifest<M>(fs, dir);
  if (existing !== undefined) return { ...existing, dir, cached: true };
  const manifest = await writeAsset(fs, options.outDir, hash, (tempDir) => build({ info, tempDir, hash }));
  return { ...manifest, dir, cached: false };
}

/** ffmpeg options for one stage of a job: its progress events are tagged with the stage. */
export function stageOptions<Stage extends string>(
  options: MediaJobOptions<Stage>,
  stage: Stage,
  durationSec: number,
): RunFfmpegOptions {
  const { onProgress, ...rest } = options;
  if (!onProgress) return { ...rest, durationSec };
  return { ...rest, durationSec, onProgress: (progress) => onProgress({ ...progress, stage }) };
}
