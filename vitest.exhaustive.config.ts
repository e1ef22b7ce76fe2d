import { defineConfig } from 'vitest/config';

/** The long differential sweeps (`npm run test:exhaustive`); `npm test` excludes test/exhaustive. */
export default defineConfig({
  test: {
    include: ['test/exhaustive/**/*.test.ts'],
    testTimeout: 3_600_000,
    hookTimeout: 600_000,
  },
});
