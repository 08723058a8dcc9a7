import { defineConfig } from 'vitest/config';

// Tests against the real, pinned agent CLIs (REAL_CODEX: absolute path of the codex binary).
export default defineConfig({
  define: { __VERSION__: JSON.stringify(process.env.npm_package_version ?? '0.0.0-dev') },
  test: {
    include: ['test/real-cli/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 30_000,
  },
});
