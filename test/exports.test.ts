import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const packages = ['sqlite-tuner', 'cache-layers', 'media-optimizer', 'ai-queue', 'monitor'];

function loadExports(kind: 'import' | 'require', name: string): string[] {
  const script =
    kind === 'import'
      ? `import(${JSON.stringify(name)}).then((m) => console.log(JSON.stringify(Object.keys(m))))`
      : `console.log(JSON.stringify(Object.keys(require(${JSON.stringify(name)}))))`;
  const out = execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' });
  return JSON.parse(out) as string[];
}

describe.each(packages)('the built @pilms/%s', (dir) => {
  it('has been built (npm run build)', () => {
    expect(existsSync(join(root, 'packages', dir, 'dist', 'index.js')), 'run `npm run build` first').toBe(true);
  });

  it('loads the same exports from ESM and CommonJS', () => {
    const esm = loadExports('import', `@pilms/${dir}`);
    const cjs = loadExports('require', `@pilms/${dir}`);
    expect(esm.length).toBeGreaterThan(0);
    expect(cjs.filter((key) => key !== 'default').sort()).toEqual(esm.filter((key) => key !== 'default').sort());
  });
});
