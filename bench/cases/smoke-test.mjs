// smoke-test (the startup probe) with the real pinned CLIs (installed into .real-cli/ by
// scripts/real-cli.mjs when missing), against two references measured in the same run:
//   - bench/reference/smoke_test.py, a Python probe making the same checks one after the other
//     (run with the real interpreter, not a version-manager shim that would slow it down);
//   - a bare `<cli> --version`, the floor any probe that runs the CLI pays.
// Every probe runs as root and drops to uid 10001, as an exec probe in a root container does.
import fs from 'node:fs';
import path from 'node:path';
import { codexAuth, claudeCredentials } from '../../test/fixtures/credentials.mjs';
import { ensureRealClis } from '../../scripts/real-cli.mjs';
import { BUNDLE, NODE, PATH_ENV, median, percentile, run, runOk, tempDir } from '../lib.mjs';

const REFERENCE = path.join(import.meta.dirname, '..', 'reference', 'smoke_test.py');
const AGENT_UID = 10001;

let clis;
let python;
const slots = {};

/** A slot with valid credentials for `agent`, agent-owned, and the environment to probe it. */
function makeSlot(agent) {
  const root = tempDir();
  const home = path.join(root, 'home');
  const configDir = path.join(home, agent === 'codex' ? '.codex' : '.claude');
  fs.mkdirSync(configDir, { recursive: true, mode: 0o755 });
  fs.chmodSync(configDir, 0o700);
  const file = path.join(configDir, agent === 'codex' ? 'auth.json' : '.credentials.json');
  fs.writeFileSync(file, JSON.stringify(agent === 'codex' ? codexAuth('valid', Date.now() + 86_400_000) : claudeCredentials('valid', Date.now() + 86_400_000)), { mode: 0o600 });
  for (const entry of [home, configDir, file]) fs.chownSync(entry, AGENT_UID, AGENT_UID);
  const env = { PATH: `${path.dirname(clis[agent])}:${PATH_ENV}`, AGENT: agent, AGENT_HOME: home, AGENT_CONFIG_DIR: configDir, AGENT_SHARED_HOME: path.join(root, 'shared') };
  return { env, cli: clis[agent] };
}

async function setup() {
  if (clis) return;
  clis = ensureRealClis((line) => process.stderr.write(`${line}\n`));
  // `python3` on PATH may be a shim script; time the interpreter itself.
  python = (await runOk('python3', ['-c', 'import sys; print(sys.executable)'], { env: process.env })).stdout.trim();
  for (const agent of ['codex', 'claude']) {
    slots[agent] = makeSlot(agent);
    // Both probes must agree the slot is ready, or the timing compares different work.
    await runOk(NODE, [BUNDLE, 'smoke-test'], { env: slots[agent].env });
    await runOk(python, [REFERENCE], { env: slots[agent].env });
  }
}

const ours = (agent) => async () => (await runOk(NODE, [BUNDLE, 'smoke-test'], { env: slots[agent].env })).ms;
const reference = (agent) => async () => (await runOk(python, [REFERENCE], { env: slots[agent].env })).ms;
const bare = (agent) => async () => (await runOk(slots[agent].cli, ['--version'], { env: slots[agent].env })).ms;

export default [
  {
    name: 'smoke-test (codex 0.169.0) vs a Python probe doing the same checks sequentially',
    reference: 'python reference',
    target: 0.7,
    runs: 30,
    warmup: 5,
    setup,
    ours: ours('codex'),
    ref: reference('codex'),
  },
  {
    name: 'smoke-test (codex 0.169.0) vs a bare codex --version',
    reference: 'codex --version',
    target: 1.5,
    runs: 30,
    warmup: 5,
    setup,
    ours: ours('codex'),
    ref: bare('codex'),
  },
  {
    name: 'smoke-test (claude 2.1.330) vs a Python probe doing the same checks sequentially',
    reference: 'python reference',
    runs: 30,
    warmup: 5,
    setup,
    ours: ours('claude'),
    ref: reference('claude'),
  },
  {
    name: 'smoke-test (claude 2.1.330) vs a bare claude --version',
    reference: 'claude --version',
    runs: 30,
    warmup: 5,
    setup,
    ours: ours('claude'),
    ref: bare('claude'),
  },
  {
    // What no Node probe can go below (node's own start plus the CLI's --version), and the spread
    // of the probe's own duration, for the Kubernetes timeoutSeconds advice in README.
    name: 'smoke-test floor and spread (codex)',
    kind: 'figure',
    setup,
    async measure() {
      const node = [];
      const cli = [];
      const probe = [];
      const reported = [];
      for (let i = 0; i < 40; i++) {
        node.push((await runOk(NODE, ['-e', '0'])).ms);
        cli.push(await bare('codex')());
        const result = await run(NODE, [BUNDLE, 'smoke-test'], { env: slots.codex.env });
        if (result.code !== 0) throw new Error(`smoke-test exited ${result.code}: ${result.stderr}`);
        probe.push(result.ms);
        reported.push(JSON.parse(result.stdout).duration_ms);
      }
      const round = (value) => Math.round(value * 10) / 10;
      return {
        node_start_ms: round(median(node)),
        codex_version_ms: round(median(cli)),
        floor_ms: round(median(node) + median(cli)),
        probe_p50_ms: round(median(probe)),
        probe_p99_ms: round(percentile(probe, 99)),
        probe_max_ms: round(Math.max(...probe)),
        probe_reported_p50_ms: median(reported),
      };
    },
  },
];
