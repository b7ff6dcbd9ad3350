import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { imageFormats, optimizeImage, sniffFormat } from '@pilms/media-optimizer';
import type { Db } from './db.js';

/** Largest accepted upload; phone photos are 2-8 MB. */
export const maxUploadBytes = 16 * 1024 * 1024;

/** A media job as the teacher's page polls it. */
export interface UploadJob {
  id: string;
  status: 'processing' | 'done' | 'failed';
  name: string;
  error: string | null;
}

/**
 * Teacher image uploads: the original is stored, then optimized in the background by
 * `@pilms/media-optimizer`; job rows live in SQLite so any worker can answer the progress poll.
 */
export function createUploads(db: Db, mediaDir: string) {
  const insert = db.prepare("INSERT INTO media_jobs (id, status, name, error) VALUES (?, 'processing', ?, NULL)");
  const finish = db.prepare('UPDATE media_jobs SET status = ?, error = ? WHERE id = ?');
  const read = db.prepare('SELECT id, status, name, error FROM media_jobs WHERE id = ?');
  const addImage = db.prepare('INSERT OR REPLACE INTO images (name, picture) VALUES (?, ?)');
  const running = new Set<Promise<void>>();

  async function process(id: string, name: string, bytes: Buffer): Promise<void> {
    try {
      await writeFile(join(mediaDir, name), bytes);
      const result = await optimizeImage(bytes, { outDir: join(mediaDir, 'images'), widths: [320, 640, 1024] });
      addImage.run(name, result.picture);
      finish.run('done', null, id);
    } catch (error) {
      finish.run('failed', error instanceof Error ? error.message : String(error), id);
    }
  }

  return {
    /** Checks the bytes are an image (by content, never by name) and starts the job; returns undefined if not. */
    start(bytes: Buffer): UploadJob | undefined {
      const format = sniffFormat(bytes.subarray(0, 64));
      if (!(imageFormats as readonly string[]).includes(format)) return undefined;
      const id = randomBytes(9).toString('base64url');
      const name = `upload-${id}.${format === 'jpeg' ? 'jpg' : format}`;
      insert.run(id, name);
      const job = process(id, name, bytes).finally(() => running.delete(job));
      running.add(job);
      return this.get(id);
    },
    get(id: string): UploadJob | undefined {
      return read.get(id) as UploadJob | undefined;
    },
    /** Waits for running jobs, so shutdown never leaves a job marked processing forever. */
    async drain(): Promise<void> {
      await Promise.all(running);
    },
  };
}

/** The upload service returned by {@link createUploads}. */
export type Uploads = ReturnType<typeof createUploads>;
