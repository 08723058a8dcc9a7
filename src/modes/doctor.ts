// doctor [--json]: capability probes for an operator asking why a slot misbehaves. A table for
// humans (evidence under each failure), or one JSON object with --json. Exit 0 when every hard
// probe passes, 1 otherwise; advisory probes never change the exit code.
import { ConfigError, EXIT } from '../errors.js';
import { runDoctor } from '../probes/doctor.js';
import type { ProbeEvidence, ProbeResult } from '../probes/types.js';
import { knownAgent } from '../settings/modes.js';
import type { ErrorPresenter, ModeContext } from './types.js';

export interface DoctorReport {
  ok: boolean;
  agent: string;
  /** Who the probes ran as. */
  uid: number;
  /** Hard probes that failed. */
  failed: string[];
  /** Advisory probes that failed. */
  warnings: string[];
  probes: ProbeResult[];
  exit_code: number;
}

function evidenceLines(evidence: ProbeEvidence): string[] {
  return Object.entries(evidence)
    .filter(([, value]) => value !== undefined)
    .flatMap(([key, value]) => {
      const text = String(value);
      return text.includes('\n') ? [`${key}:`, ...text.split('\n').map((line) => `  ${line}`)] : [`${key}: ${text}`];
    });
}

/** The human table: one row per probe, the evidence indented under each failure. */
export function renderTable(report: DoctorReport): string {
  const header = ['PROBE', 'SEVERITY', 'RESULT', 'DETAIL'];
  const rows = report.probes.map((probe) => [probe.name, probe.severity, probe.result === 'fail' ? 'FAIL' : probe.result, probe.detail]);
  const widths = [0, 1, 2].map((i) => Math.max(header[i]!.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `${cells.map((cell, i) => (i < 3 ? cell.padEnd(widths[i]!) : cell)).join('  ')}\n`;
  let out = `doctor: ${report.agent} slot, probes run as uid ${report.uid}\n\n${line(header)}`;
  report.probes.forEach((probe, i) => {
    out += line(rows[i]!);
    if (probe.result === 'fail' && probe.evidence) for (const text of evidenceLines(probe.evidence)) out += `${' '.repeat(widths[0]! + 2)}${text}\n`;
  });
  const verdict = report.ok ? 'every hard probe passed' : `${report.failed.length} hard probe${report.failed.length > 1 ? 's' : ''} failed: ${report.failed.join(', ')}`;
  const advisory = report.warnings.length > 0 ? `; advisory: ${report.warnings.join(', ')}` : '';
  return `${out}\n${verdict}${advisory}\n`;
}

/** With --json, an error before the probes (78: the environment or the arguments) is still one JSON object. */
export const presentError: ErrorPresenter = (error, io, { agent, args }) => {
  if (args.includes('--json')) {
    io.stdout(`${JSON.stringify({ ok: false, agent: knownAgent(agent), error: error.message, failed: [], warnings: [], probes: [], exit_code: error.exitCode })}\n`);
  }
  io.stderr(`FATAL: ${error.message}\n`);
};

export async function run({ settings, args, io }: ModeContext): Promise<number> {
  const unknown = args.find((arg) => arg !== '--json');
  if (unknown !== undefined) throw new ConfigError(`doctor accepts only --json (got ${JSON.stringify(unknown)}); run doctor for a table, or doctor --json for one JSON object`);
  const { uid, probes } = await runDoctor(settings);
  const failed = probes.filter((probe) => probe.result === 'fail' && probe.severity === 'hard').map((probe) => probe.name);
  const warnings = probes.filter((probe) => probe.result === 'fail' && probe.severity === 'advisory').map((probe) => probe.name);
  const exitCode = failed.length === 0 ? EXIT.ok : EXIT.probesFailed;
  const report: DoctorReport = { ok: failed.length === 0, agent: settings.agent, uid, failed, warnings, probes, exit_code: exitCode };
  io.stdout(args.includes('--json') ? `${JSON.stringify(report)}\n` : renderTable(report));
  return exitCode;
}
