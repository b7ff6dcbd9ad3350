import { createHash, randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { MediaWriteError } from './errors.js';

/**
 * The file operations outputs go through. Injectable so tests can fail a write (disk full)
 * and so outputs can live on any mounted storage.
 */
export interface FileLayer {
  mkdir(path: string, options: { recursive: true }): Promise<unknown>;
  writeFile(path: string, data: Uint8Array | string): Promise<void>;
  readFile(path: string, encoding: 'utf8'): Promise<string>;
  rename(from: string, to: string): Promise<void>;
  rm(path: string, options: { recursive: true; force: true }): Promise<void>;
}

/** The real file system. */
export const nodeFileLayer: FileLayer = {
  mkdir: (path, options) => fsp.mkdir(path, options),
  writeFile: (path, data) => fsp.writeFile(path, data),
  readFile: (path, encoding) => fsp.readFile(path, encoding),
  rename: (from, to) => fsp.rename(from, to),
  rm: (path, options) => fsp.rm(path, options),
};

const tempPrefix = '.tmp-';

/** Name of the manifest written in every asset directory. */
export const manifestName = 'manifest.json';

/** sha256 over the input bytes and the canonical JSON of everything that changes the outputs. */
export function contentKey(bytes: Uint8Array, options: unknown): string {
  return createHash('sha256').update(bytes).update('\0').update(JSON.stringify(options)).digest('hex');
}

/** Reads an asset's manifest, or `undefined` when the asset was never completed. */
export async function readManifest<M>(fs: FileLayer, assetDir: string): Promise<M | undefined> {
  try {
    return JSON.parse(await fs.readFile(join(assetDir, manifestName), 'utf8')) as M;
  } catch {
    return undefined;
  }
}

/**
 * Builds an asset in a hidden temp directory beside its final place, writes its manifest last,
 * then renames the directory into place: readers see a complete asset or none, and a failure
 * (write error, cancel, crash of the encoder) removes the temp directory.
 */
export async function writeAsset<M>(
  fs: FileLayer,
  outDir: string,
  key: string,
  build: (tempDir: string) => Promise<M>,
): Promise<M> {
  const finalDir = join(outDir, key);
  // The pid in the name lets sweepStaleTemp remove what a crashed process left behind.
  const tempDir = join(outDir, `${tempPrefix}${process.pid}-${key.slice(0, 16)}-${randomBytes(4).toString('hex')}`);
  try {
    await fs.mkdir(tempDir, { recursive: true });
    const manifest = await build(tempDir);
    await writeOrFail(fs, join(tempDir, manifestName), JSON.stringify(manifest, null, 2));
    try {
      await fs.rename(tempDir, finalDir);
    } catch (error) {
      // Another run finished the same asset first: keep theirs (it is byte-for-byte the same work).
      const existing = await readManifest<M>(fs, finalDir);
      if (existing === undefined) throw new MediaWriteError(finalDir, { cause: error });
      await fs.rm(tempDir, { recursive: true, force: true });
      return existing;
    }
    return manifest;
  } catch (error) {
    await fs.rm(tempDir, { recursive: true, force: true }).catch(() => undefined);
    throw error;
  }
}

/** Writes one file, turning file-system failures into {@link MediaWriteError}. */
export async function writeOrFail(fs: FileLayer, path: string, data: Uint8Array | string): Promise<void> {
  try {
    await fs.writeFile(path, data);
  } catch (error) {
    throw new MediaWriteError(path, { cause: error });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes temp directories under `outDir` whose owning process is gone (a crash or SIGKILL mid-encode),
 * so a restart leaves no partial output. Returns how many were removed.
 */
export async function sweepStaleTemp(outDir: string, fs: FileLayer = nodeFileLayer): Promise<number> {
  let entries: string[];
  try {
    entries = await fsp.readdir(outDir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const entry of entries) {
    if (!entry.startsWith(tempPrefix)) continue;
    const pid = Number(entry.slice(tempPrefix.length).split('-')[0]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || isAlive(pid)) continue;
    await fs.rm(join(outDir, entry), { recursive: true, force: true });
    removed += 1;
  }
  return removed;
}
