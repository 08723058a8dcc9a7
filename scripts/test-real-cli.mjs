// npm run test:real-cli: installs the pinned CLIs (scripts/real-cli.mjs), then runs the suite in
// test/real-cli/ against them. The suite gets the binaries as REAL_CODEX and REAL_CLAUDE; any
// failure to install or run them fails this script.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ensureRealClis, ROOT } from './real-cli.mjs';

let clis;
try {
  clis = ensureRealClis();
} catch (error) {
  process.stderr.write(`test:real-cli: ${error.message}\n`);
  process.exit(1);
}
process.stderr.write(`test:real-cli: REAL_CODEX=${clis.codex} REAL_CLAUDE=${clis.claude}\n`);
const vitest = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'vitest'), ['run', '--config', 'vitest.real-cli.config.ts', ...process.argv.slice(2)], {
  cwd: ROOT,
  stdio: 'inherit',
  env: { ...process.env, REAL_CODEX: clis.codex, REAL_CLAUDE: clis.claude },
});
process.exit(vitest.status ?? 1);
