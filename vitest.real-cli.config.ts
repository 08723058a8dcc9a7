import { defineConfig } from 'vitest/config';

// The real-CLI suite (npm run test:real-cli): the pinned codex and claude binaries, not fixtures.
export default defineConfig({
  define: { __VERSION__: JSON.stringify(process.env.npm_package_version ?? '0.0.0-dev') },
  test: {
    include: ['test/real-cli/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
