import { defineConfig } from 'vitest/config';

export default defineConfig({
  define: { __VERSION__: JSON.stringify(process.env.npm_package_version ?? '0.0.0-dev') },
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/real-cli/**', 'test/container/**', 'test/hardening/**', 'node_modules/**'],
    setupFiles: ['test/setup.ts'],
    globalSetup: ['test/hygiene-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
