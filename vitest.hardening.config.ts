import { defineConfig } from 'vitest/config';

// Long-running robustness tests (hundreds of killed processes): `npm run test:hardening`.
export default defineConfig({
  define: { __VERSION__: JSON.stringify(process.env.npm_package_version ?? '0.0.0-dev') },
  test: {
    include: ['test/hardening/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    globalSetup: ['test/hygiene-setup.ts'],
    pool: 'forks',
    // One file at a time: kill timing must not compete with another file for the CPU.
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 30_000,
  },
});
