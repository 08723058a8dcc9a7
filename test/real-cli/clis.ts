// The real pinned CLIs, as `npm run test:real-cli` hands them over. A test file importing this
// fails loudly when they are not set: this suite must never pass by checking nothing.
import fs from 'node:fs';
import path from 'node:path';

function required(name: 'REAL_CODEX' | 'REAL_CLAUDE'): string {
  const value = process.env[name];
  if (!value || !path.isAbsolute(value) || !fs.existsSync(value)) {
    throw new Error(`${name} is ${value ? `${value}, which does not exist` : 'not set'}: run this suite with npm run test:real-cli, which installs the pinned CLIs and sets it`);
  }
  return value;
}

/** Absolute paths of the installed binaries (node_modules/.bin links). */
export const REAL = { codex: required('REAL_CODEX'), claude: required('REAL_CLAUDE') };

/** The directory to put first on PATH so that `codex` / `claude` are the real ones. */
export const realBin = (agent: 'codex' | 'claude') => path.dirname(REAL[agent]);

/** Runs without network: the probes must not need it, and the CLIs must not reach out. */
export const NO_NETWORK = ['unshare', '--net'];
