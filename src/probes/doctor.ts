// The doctor's probes, in the order they run. layers_valid runs first and as root when started as
// root, because the boot plans the layers as root (a root-only overlay file is fine for the boot);
// every other probe runs as the agent, after the same privilege drop the boot does.
import type { CredentialReport } from '../credentials/check.js';
import type { Settings } from '../settings/env.js';
import { agentCli, becomeAgent } from './as-agent.js';
import { checkCli } from './cli.js';
import { probeCliConfig } from './config.js';
import { credentialReport, probeCredentialsOwned, probeCredentialsValid } from './credentials.js';
import { probeDocker } from './docker.js';
import { probeLayers } from './layers.js';
import { fail, pass, type ProbeResult, type ProbeVerdict, type Severity } from './types.js';
import { probeAgentUid } from './uid.js';
import { probeUserNamespaces } from './userns.js';
import { probeWritable } from './writable.js';

interface Probe {
  name: string;
  severity: Severity;
  run: () => ProbeVerdict | Promise<ProbeVerdict>;
}

/** Runs one probe; a probe that throws, or fails without evidence, is reported as the bug it is. */
export async function runProbe(probe: Probe): Promise<ProbeResult> {
  const start = performance.now();
  let verdict: ProbeVerdict;
  try {
    verdict = await probe.run();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    verdict = fail(`the probe itself crashed (a bug; please report it): ${message}`, { operation: `probe ${probe.name}` });
  }
  if (verdict.result === 'fail' && !verdict.evidence?.operation) {
    verdict = fail(`${verdict.detail} (the probe gave no evidence: a bug)`, { operation: `probe ${probe.name}` });
  }
  return { name: probe.name, severity: probe.severity, result: verdict.result, detail: verdict.detail, evidence: verdict.evidence, duration_ms: Math.round(performance.now() - start) };
}

async function cliRuns(settings: Settings): Promise<ProbeVerdict> {
  const cli = await checkCli(agentCli(settings));
  if (cli.status === 'ok') return pass(cli.message, { operation: cli.evidence.operation, exit_code: 0 });
  const { operation, errno, exitCode, signal, stderrTail } = cli.evidence;
  return fail(cli.message, { operation, errno, exit_code: exitCode, signal, stderr_tail: stderrTail, path: cli.path });
}

export interface DoctorRun {
  uid: number;
  probes: ProbeResult[];
}

export async function runDoctor(settings: Settings): Promise<DoctorRun> {
  const results = [await runProbe({ name: 'layers_valid', severity: 'hard', run: () => probeLayers(settings) })];
  const identity = becomeAgent(settings);
  const { configDir, sharedHome, workspace } = settings.paths;
  // Both credential probes judge the same check, made once (inside a probe, so a crash is reported).
  let creds: CredentialReport | undefined;
  const credentials = () => (creds ??= credentialReport(settings));
  const probes: Probe[] = [
    { name: 'agent_uid_pinned', severity: 'hard', run: () => probeAgentUid(settings) },
    { name: 'config_dir_writable', severity: 'hard', run: () => probeWritable('AGENT_CONFIG_DIR', configDir) },
    { name: 'agent_home_writable', severity: 'hard', run: () => probeWritable('AGENT_SHARED_HOME', sharedHome) },
    { name: 'workspace_writable', severity: 'hard', run: () => probeWritable('AGENT_WORKSPACE', workspace) },
    { name: 'credentials_valid', severity: 'hard', run: () => probeCredentialsValid(credentials()) },
    { name: 'credentials_owned_by_agent', severity: 'hard', run: () => probeCredentialsOwned(settings, credentials()) },
    { name: 'cli_runs', severity: 'hard', run: () => cliRuns(settings) },
    { name: 'cli_accepts_config', severity: 'hard', run: () => probeCliConfig(settings) },
    { name: 'docker_socket_reachable', severity: 'advisory', run: () => probeDocker(settings) },
    { name: 'user_namespaces', severity: 'advisory', run: () => probeUserNamespaces(settings) },
  ];
  for (const probe of probes) results.push(await runProbe(probe));
  // Report in the documented order, layers_valid among the others.
  const order = ['agent_uid_pinned', 'config_dir_writable', 'agent_home_writable', 'workspace_writable', 'credentials_valid', 'credentials_owned_by_agent', 'cli_runs', 'cli_accepts_config', 'layers_valid'];
  const rank = (name: string) => (order.includes(name) ? order.indexOf(name) : order.length);
  return { uid: identity.uid, probes: results.sort((a, b) => rank(a.name) - rank(b.name)) };
}
