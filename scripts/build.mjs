// Bundles src/cli.ts into one self-contained CommonJS file that runs with `node` alone.
import { build } from 'esbuild';
import { readFile, chmod } from 'node:fs/promises';

const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
const outfile = 'dist/agent-entrypoint.cjs';

await build({
  entryPoints: ['src/cli.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node24',
  minify: true,
  keepNames: false,
  legalComments: 'none',
  banner: { js: '#!/usr/bin/env node' },
  define: { __VERSION__: JSON.stringify(pkg.version) },
  // pino's worker-thread transports and its sonic-boom destination are never used (logs go to
  // fd 2 through our own synchronous stream); leaving them out keeps them off the start-up path.
  alias: {
    'thread-stream': './src/log/no-transport.cjs',
    'pino-abstract-transport': './src/log/no-transport.cjs',
    'sonic-boom': './src/log/no-transport.cjs',
  },
  logLevel: 'warning',
});
await chmod(outfile, 0o755);
