import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { mediaFormats, probe, sniffFormat, transcodeAudio, transcodeVideo } from '@pilms/media-optimizer';
import type { Db } from './db.js';

/** Settings of lesson video and audio: small outputs that phones on a classroom Wi-Fi play at once. */
export const avDefaults = {
  /** Largest accepted video/audio upload; streamed to disk, never held in memory. */
  maxUploadBytes: 256 * 1024 * 1024,
  /** Sub-directory of the media dir holding content-addressed outputs, served at `/media/av/`. */
  dir: 'av',
  /** h264 480p at most, capped CRF: a 10-minute lesson stays under ~60 MB. */
  video: { maxWidth: 854, maxHeight: 480, crf: 26, bitrateKbps: 900, audioBitrateKbps: 96, thumbnails: 0 },
  audio: { bitrateKbps: 96, channels: 2 as const },
  /** `nice` level of ffmpeg, so transcoding never slows page views. */
  nice: 10,
} as const;

/** A transcoded lesson video or audio file, as URLs under `/media/av/`. */
export interface AvAsset {
  kind: 'video' | 'audio';
  src: string;
  poster: string | null;
}

/** The Markdown line that embeds `asset` in a lesson (rendered as `<video>`/`<audio>`). */
export function avMarkdown(asset: AvAsset, description: string): string {
  return `![${description.replace(/[[\]]/g, '')}](${asset.src})`;
}

/**
 * Transcodes a video (h264 MP4 with faststart, AAC) or an audio file (loudness-normalised AAC) with
 * `@pilms/media-optimizer`, into `<mediaDir>/av/<content hash>/`. `kind` defaults to video when the input
 * has a video stream; `audio` keeps only the soundtrack. `onProgress` gets 0-100 over all stages.
 */
export async function transcodeLessonMedia(
  input: string,
  mediaDir: string,
  options: { kind?: AvAsset['kind']; onProgress?: (percent: number) => void } = {},
): Promise<AvAsset> {
  const outDir = join(mediaDir, avDefaults.dir);
  const base = `/media/${avDefaults.dir}`;
  const onProgress = options.onProgress ?? (() => {});
  const kind = options.kind ?? ((await probe(input)).video ? 'video' : 'audio');
  if (kind === 'video') {
    const video = await transcodeVideo(input, {
      outDir,
      ...avDefaults.video,
      nice: avDefaults.nice,
      onProgress: (p) => onProgress(p.percent),
    });
    const src = `${base}/${video.hash}/${video.mp4.file}`;
    return { kind: 'video', src, poster: video.poster ? `${base}/${video.hash}/${video.poster}` : null };
  }
  // Two passes (measure, then encode): each is half of the job.
  const audio = await transcodeAudio(input, {
    outDir,
    ...avDefaults.audio,
    nice: avDefaults.nice,
    onProgress: (p) => onProgress(p.stage === 'measure' ? p.percent / 2 : 50 + p.percent / 2),
  });
  return { kind: 'audio', src: `${base}/${audio.hash}/${audio.file}`, poster: null };
}

/** A media job as the teacher's page polls it; `markdown` is set when a video or audio job is done. */
export interface MediaJob {
  id: string;
  status: 'processing' | 'done' | 'failed';
  name: string;
  error: string | null;
  progress: number;
  markdown: string | null;
}

/** Why an upload was refused before any job started. */
export type AvRefusal = { refused: 'too-large' } | { refused: 'not-media' };

/**
 * Teacher video/audio uploads: the body is streamed to disk under a size limit, sniffed by content, then
 * transcoded in the background; the job row (shared by every worker) carries whole-percent progress.
 */
export function createAvUploads(db: Db, mediaDir: string) {
  const insert = db.prepare(
    "INSERT INTO media_jobs (id, status, name, error, progress) VALUES (?, 'processing', ?, NULL, 0)",
  );
  const setProgress = db.prepare('UPDATE media_jobs SET progress = ? WHERE id = ? AND progress < ?');
  const finish = db.prepare('UPDATE media_jobs SET status = ?, error = ?, progress = ?, markdown = ? WHERE id = ?');
  const read = db.prepare('SELECT id, status, name, error, progress, markdown FROM media_jobs WHERE id = ?');
  const running = new Set<Promise<void>>();

  async function process(id: string, path: string): Promise<void> {
    try {
      const asset = await transcodeLessonMedia(path, mediaDir, {
        // Whole-percent steps only: progress arrives twice a second and SD cards wear.
        onProgress: (percent) => {
          const step = Math.floor(percent);
          setProgress.run(step, id, step);
        },
      });
      finish.run('done', null, 100, avMarkdown(asset, asset.kind === 'video' ? 'Video' : 'Audio'), id);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      finish.run('failed', message, 0, null, id);
    }
  }

  return {
    /** Stores the streamed upload and starts its job, or says why it was refused (nothing is kept then). */
    async start(body: Readable, declaredBytes: number): Promise<MediaJob | AvRefusal> {
      if (declaredBytes > avDefaults.maxUploadBytes) return { refused: 'too-large' };
      const id = randomBytes(9).toString('base64url');
      const name = `upload-${id}`;
      const path = join(mediaDir, name);
      let bytes = 0;
      body.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > avDefaults.maxUploadBytes) body.destroy(new Error('too large'));
      });
      try {
        await pipeline(body, createWriteStream(path));
      } catch (error) {
        await rm(path, { force: true });
        if (bytes > avDefaults.maxUploadBytes) return { refused: 'too-large' };
        throw error;
      }
      const head = Buffer.alloc(64);
      const file = await open(path, 'r');
      await file.read(head, 0, 64, 0).finally(() => file.close());
      if (!mediaFormats.includes(sniffFormat(head))) {
        await rm(path, { force: true });
        return { refused: 'not-media' };
      }
      insert.run(id, name);
      const job = process(id, path).finally(() => running.delete(job));
      running.add(job);
      return this.get(id) as MediaJob;
    },
    /** Any media job (image or video/audio) by id. */
    get(id: string): MediaJob | undefined {
      return read.get(id) as MediaJob | undefined;
    },
    /** Waits for running jobs, so shutdown never leaves a job marked processing forever. */
    async drain(): Promise<void> {
      await Promise.all(running);
    },
  };
}

/** The video/audio upload service returned by {@link createAvUploads}. */
export type AvUploads = ReturnType<typeof createAvUploads>;
