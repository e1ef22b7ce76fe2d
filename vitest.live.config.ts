import { defineConfig } from 'vitest/config';

/** Live checks on this machine (`npm run test:live`); `npm test` excludes test/live. */
export default defineConfig({
  test: { include: ['test/live/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000 },
});
