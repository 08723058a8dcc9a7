import { defineConfig } from 'vitest/config';

// Real containers (podman): run by `npm run test:container` after it has built the images.
export default defineConfig({
  test: {
    include: ['test/container/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
