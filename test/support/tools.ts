import { spawnSync } from 'node:child_process';

/** Thrown when a system tool the tests need is not installed. */
export class MissingToolError extends Error {
  readonly code = 'PILMS_MISSING_TOOL';
  constructor(readonly tool: string) {
    super(`\`${tool}\` was not found on PATH. Run \`npm run setup\` to install the system tools the tests need.`);
    this.name = 'MissingToolError';
  }
}

const found = new Map<string, string>();

/** Resolves a command on PATH (cached), or throws {@link MissingToolError}. */
export function requireTool(tool: string): string {
  const cached = found.get(tool);
  if (cached) return cached;
  const result = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', tool], { encoding: 'utf8' });
  const path = result.stdout.trim();
  if (result.status !== 0 || path === '') throw new MissingToolError(tool);
  found.set(tool, path);
  return path;
}

/** Paths of `ffmpeg` and `ffprobe`, or a {@link MissingToolError}. */
export function requireFfmpeg(): { ffmpeg: string; ffprobe: string } {
  return { ffmpeg: requireTool('ffmpeg'), ffprobe: requireTool('ffprobe') };
}
