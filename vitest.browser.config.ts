import { defineConfig } from 'vitest/config';

// `npm run test:browser`: the library and the drift explorer in Debian's Chromium (headless).
// Kept out of the default `npm test` run: its files end in .spec.ts, which vitest.config.ts
// does not include. One file at a time: each starts its own Chromium.
export default defineConfig({
  test: {
    include: ['test/browser/**/*.spec.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
