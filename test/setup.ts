import { afterAll, expect } from 'vitest';
import { flushHygiene, hygiene } from './helpers/hygiene.js';
import { onPayloadWritten } from './helpers/kubelet.js';

// Hermetic tests: the program's own variables never leak in from the machine running the suite.
const OWN = /^(AGENT|AGENT_.*|CODEX_.*|CLAUDE_.*|OPENAI_API_KEY|ANTHROPIC_API_KEY|LOG_LEVEL|LOG_FORMAT|DOCKER_HOST)$/;
for (const name of Object.keys(process.env)) {
  if (OWN.test(name)) delete process.env[name];
}

// ConfigMap payloads the tests write are their input (a planted secret may be the point).
onPayloadWritten((file, content) => hygiene.noteInput(file, content));

// Registered first, so it runs after the test file's own hooks (removeTempDirs scans as it removes).
afterAll(() => flushHygiene(expect.getState().testPath ?? '(unknown)'));
