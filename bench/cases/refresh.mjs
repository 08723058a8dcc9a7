// Token refresh benchmarks: `refresh --once` with nothing due (it reads one file) against a bare
// `--version`, and the supervisor's idle cost between scheduled checks.
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { BUNDLE, CLOCK_TICKS, cpuTicks, NODE, run, runOk, slotEnv, tempDir } from '../lib.mjs';

const AGENT = 10001;
const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = (claims) => `${b64({ alg: 'none' })}.${b64(claims)}.sig`;

/** A slot whose auth.json is fresh (expires in 10 h, refreshed now): nothing is due. */
function freshSlot() {
  const root = tempDir();
  const home = path.join(root, 'home');
  const configDir = path.join(home, '.codex');
  fs.mkdirSync(configDir, { recursive: true });
  fs.chmodSync(configDir, 0o700);
  const exp = Math.floor(Date.now() / 1000) + 10 * 3600;
  const auth = {
    auth_mode: 'chatgpt',
    OPENAI_API_KEY: null,
    tokens: { id_token: jwt({ exp }), access_token: jwt({ exp }), refresh_token: 'rt_bench_not_a_real_token', account_id: 'acct' },
    last_refresh: new Date().toISOString(),
  };
  fs.writeFileSync(path.join(configDir, 'auth.json'), JSON.stringify(auth, null, 2), { mode: 0o600 });
  for (const entry of [home, configDir, path.join(configDir, 'auth.json')]) fs.chownSync(entry, AGENT, AGENT);
  // The token URL is never called (nothing is due); a closed local port makes sure of it.
  return { root, env: slotEnv(root, 'codex', { AGENT_REFRESH: 'on', CODEX_REFRESH_TOKEN_URL_OVERRIDE: 'http://127.0.0.1:1/oauth/token' }) };
}

/** CPU ticks (utime + stime) and context switches of every thread of a process. */
function usage(pid) {
  let ticks = 0;
  let switches = 0;
  for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
    ticks += cpuTicks(`/proc/${pid}/task/${task}/stat`);
    const status = fs.readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8');
    for (const name of ['voluntary_ctxt_switches', 'nonvoluntary_ctxt_switches']) {
      switches += Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    }
  }
  return { ticks, switches };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let slot;

export default [
  {
    name: 'refresh --once, nothing due, vs agent-entrypoint --version',
    reference: 'agent-entrypoint --version',
    target: 1.2,
    runs: 30,
    warmup: 5,
    async setup() {
      slot = freshSlot();
      const first = await run(NODE, [BUNDLE, 'refresh', '--once'], { env: slot.env });
      if (first.code !== 1 || !first.stdout.includes('"skip:not_due"')) throw new Error(`expected skip:not_due: ${first.stdout} ${first.stderr}`);
    },
    async ours() {
      const result = await run(NODE, [BUNDLE, 'refresh', '--once'], { env: slot.env });
      if (result.code !== 1) throw new Error(`refresh --once exited ${result.code}: ${result.stderr}`);
      return result.ms;
    },
    ref: async () => (await runOk(NODE, [BUNDLE, '--version'])).ms,
  },
  {
    // What the check itself costs: the same start-up, settings, logger and privilege drop, minus
    // reading auth.json and writing the status file.
    name: 'refresh --once, nothing due, vs refresh --once with AGENT_REFRESH=off',
    reference: 'AGENT_REFRESH=off',
    runs: 30,
    warmup: 5,
    async ours() {
      const result = await run(NODE, [BUNDLE, 'refresh', '--once'], { env: slot.env });
      if (result.code !== 1) throw new Error(`refresh --once exited ${result.code}: ${result.stderr}`);
      return result.ms;
    },
    ref: async () => (await run(NODE, [BUNDLE, 'refresh', '--once'], { env: { ...slot.env, AGENT_REFRESH: 'off' } })).ms,
  },
  {
    name: 'supervisor idle between refresh checks (run mode, refresh on, child sleeping), 10 s window',
    kind: 'figure',
    async measure() {
      const idle = freshSlot();
      const child = spawn(NODE, [BUNDLE, 'sleep', '60'], { env: idle.env, stdio: 'ignore' });
      try {
        // Let the boot and the check before the child settle, then watch a quiet window.
        await sleep(2000);
        const before = usage(child.pid);
        await sleep(10_000);
        const after = usage(child.pid);
        return {
          cpu_ticks: after.ticks - before.ticks,
          cpu_ms: ((after.ticks - before.ticks) * 1000) / CLOCK_TICKS,
          context_switches_all_threads: after.switches - before.switches,
          window_s: 10,
        };
      } finally {
        child.kill('SIGKILL');
      }
    },
  },
];
