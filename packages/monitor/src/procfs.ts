import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Reads a text file under `root`; a missing or unreadable file yields `undefined` so the metric is simply absent. */
export async function readText(root: string, path: string): Promise<string | undefined> {
  try {
    return await readFile(join(root, path), 'utf8');
  } catch {
    return undefined;
  }
}

/** Reads a file holding one integer, or `undefined`. */
export async function readInt(root: string, path: string): Promise<number | undefined> {
  const text = await readText(root, path);
  if (text === undefined) return undefined;
  const value = Number.parseInt(text.trim(), 10);
  return Number.isFinite(value) ? value : undefined;
}

/** Lists a directory under `root`, or an empty list when it does not exist. */
export async function list(root: string, path: string): Promise<string[]> {
  try {
    return await readdir(join(root, path));
  } catch {
    return [];
  }
}
