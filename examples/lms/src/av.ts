import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { mediaFormats, probe, sniffFormat, transcodeAudio, transcodeVideo } from '@pilms/media-optimizer';
import { abandoned, newClaim } from './claims.js';
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
  options: { kind?: AvAsset['kind']; onProgress?: (percent: number) => void; signal?: AbortSignal } = {},
): Promise<AvAsset> {
  const outDir = join(mediaDir, avDefaults.dir);
  const base = `/media/${avDefaults.dir}`;
  const onProgress = options.onProgress ?? (() => {});
  const kind = options.kind ?? ((await probe(input)).video ? 'video' : 'audio');
  const process = { outDir, nice: avDefaults.nice, ...(options.signal ? { signal: options.signal } : {}) };
  if (kind === 'video') {
    const video = await transcodeVideo(input, {
      ...process,
      ...avDefaults.video,
      onProgress: (p) => onProgress(p.percent),
    });
    const src = `${base}/${video.hash}/${video.mp4.file}`;
    return { kind: 'video', src, poster: video.poster ? `${base}/${video.hash}/${video.poster}` : null };
  }
  // Two passes (measure, then encode): each is half of the job.
  const audio = await transcodeAudio(input, {
    ...process,
    ...avDefaults.audio,
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
 * transcoded in the background; the job row (shared by every worker) carries whole-percent progress and its
 * owner. A job whose owner died (or that was handed back at shutdown) is resumed from the kept original at start.
 */
export function createAvUploads(db: Db, mediaDir: string, options: { maxUploadBytes?: number } = {}) {
  const maxBytes = options.maxUploadBytes ?? avDefaults.maxUploadBytes;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw new Error(`Expected \`maxUploadBytes\` to be an integer >= 1, got ${maxBytes}`);
  }
  const me = newClaim();
  const insert = db.prepare(
    "INSERT INTO media_jobs (id, status, name, error, progress, owner, source) VALUES (?, 'processing', ?, NULL, 0, ?, ?)",
  );
  const setProgress = db.prepare('UPDATE media_jobs SET progress = ? WHERE id = ? AND progress < ?');
  const finish = db.prepare(
    'UPDATE media_jobs SET status = ?, error = ?, progress = ?, markdown = ?, owner = NULL WHERE id = ? AND owner = ?',
  );
  const read = db.prepare('SELECT id, status, name, error, progress, markdown FROM media_jobs WHERE id = ?');
  const unfinished = db.prepare(
    "SELECT id, source, owner FROM media_jobs WHERE status = 'processing' AND source IS NOT NULL",
  );
  const claim = db.prepare(
    "UPDATE media_jobs SET owner = ?, progress = 0 WHERE id = ? AND status = 'processing' AND owner IS ?",
  );
  const handBack = db.prepare("UPDATE media_jobs SET owner = NULL WHERE owner = ? AND status = 'processing'");
  const stop = new AbortController();
  const running = new Set<Promise<void>>();

  async function process(id: string, source: string): Promise<void> {
    try {
      const asset = await transcodeLessonMedia(join(mediaDir, source), mediaDir, {
        signal: stop.signal,
        // Whole-percent steps only: progress arrives twice a second and SD cards wear.
        onProgress: (percent) => {
          const step = Math.floor(percent);
          setProgress.run(step, id, step);
        },
      });
      finish.run('done', null, 100, avMarkdown(asset, asset.kind === 'video' ? 'Video' : 'Audio'), id, me);
    } catch (error) {
      if (stop.signal.aborted) return;
      finish.run('failed', error instanceof Error ? error.message : String(error), 0, null, id, me);
    }
  }

  function run(id: string, source: string): void {
    const job = process(id, source).finally(() => running.delete(job));
    running.add(job);
  }

  for (const job of unfinished.all() as { id: string; source: string; owner: string | null }[]) {
    if (abandoned(job.owner) && claim.run(me, job.id, job.owner).changes === 1) run(job.id, job.source);
  }

  return {
    /** Stores the streamed upload and starts its job, or says why it was refused (nothing is kept then). */
    async start(body: Readable, declaredBytes: number): Promise<MediaJob | AvRefusal> {
      if (declaredBytes > maxBytes) return { refused: 'too-large' };
      const id = randomBytes(9).toString('base64url');
      const partial = join(mediaDir, `upload-${id}.part`);
      let bytes = 0;
      body.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > maxBytes) body.destroy(new Error('too large'));
      });
      try {
        await pipeline(body, createWriteStream(partial));
      } catch (error) {
        await rm(partial, { force: true });
        if (bytes > maxBytes) return { refused: 'too-large' };
        throw error;
      }
      const head = Buffer.alloc(64);
      const file = await open(partial, 'r');
      await file.read(head, 0, 64, 0).finally(() => file.close());
      const format = sniffFormat(head);
      if (!mediaFormats.includes(format)) {
        await rm(partial, { force: true });
        return { refused: 'not-media' };
      }
      // The original is kept under its sniffed extension: a restart resumes the job from it.
      const name = `upload-${id}.${format}`;
      await rename(partial, join(mediaDir, name));
      insert.run(id, name, me, name);
      run(id, name);
      return this.get(id) as MediaJob;
    },
    /** Any media job (image or video/audio) by id. */
    get(id: string): MediaJob | undefined {
      return read.get(id) as MediaJob | undefined;
    },
    /** Stops transcoding (ffmpeg is killed) and hands unfinished jobs back: the next start resumes them. */
    async close(): Promise<void> {
      if (stop.signal.aborted) return;
      stop.abort();
      await Promise.all(running);
      handBack.run(me);
    },
  };
}

/** The video/audio upload service returned by {@link createAvUploads}. */
export type AvUploads = ReturnType<typeof createAvUploads>;
