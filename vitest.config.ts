import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the packages' sources; the built output is checked by test/exports.test.ts.
    alias: [
      { find: /^@pilms\/([a-z-]+)$/, replacement: `${root}packages/$1/src/index.ts` },
      { find: /^@pilms\/([a-z-]+)\/([a-z-]+)$/, replacement: `${root}packages/$1/src/adapters/$2.ts` },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: process.env.CI ? ['default', ['json', { outputFile: '.vitest-results.json' }]] : ['default'],
  },
});
