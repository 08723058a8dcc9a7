// npm run bench [-- --json] [-- NAME...]: runs every benchmark case in bench/cases/, each against a
// reference measured in the same run (runs interleaved, warm-up excluded), and prints a table of
// medians, ratio, target and pass/short. --json prints the same figures as JSON.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { median, removeTempDirs } from './lib.mjs';

const args = process.argv.slice(2);
const json = args.includes('--json');
const filters = args.filter((arg) => !arg.startsWith('--'));
const dir = path.join(import.meta.dirname, 'cases');
const files = fs.readdirSync(dir).filter((name) => name.endsWith('.mjs')).sort();

/**
 * A case module's default export is a list of benchmarks:
 *   { name, target?: number, reference?: string, runs?: number, warmup?: number,
 *     setup?(), teardown?(), ours(): Promise<number>, ref?(): Promise<number> }   -> ratio ours/ref
 *   { name, kind: 'figure', measure(): Promise<Record<string, number|string>> }   -> figures only
 * ours/ref return one sample in milliseconds.
 */
async function measureRatio(bench) {
  const runs = bench.runs ?? 10;
  const warmup = bench.warmup ?? 2;
  const ours = [];
  const ref = [];
  for (let i = 0; i < warmup + runs; i++) {
    // Interleave, alternating which goes first, so drift affects both equally.
    const order = i % 2 === 0 ? ['ours', 'ref'] : ['ref', 'ours'];
    for (const which of order) {
      if (which === 'ref' && !bench.ref) continue;
      const ms = await bench[which]();
      if (i >= warmup) (which === 'ours' ? ours : ref).push(ms);
    }
  }
  const oursMedian = median(ours);
  const refMedian = bench.ref ? median(ref) : undefined;
  const ratio = refMedian ? oursMedian / refMedian : undefined;
  return {
    name: bench.name,
    ours_ms: round(oursMedian),
    reference: bench.reference,
    reference_ms: refMedian === undefined ? undefined : round(refMedian),
    ratio: ratio === undefined ? undefined : round(ratio, 3),
    target: bench.target,
    verdict: bench.target === undefined || ratio === undefined ? 'info' : ratio <= bench.target ? 'pass' : 'short',
    runs,
  };
}

function round(value, digits = 2) {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

const results = [];
for (const file of files) {
  const module = await import(path.join(dir, file));
  for (const bench of module.default) {
    if (filters.length > 0 && !filters.some((filter) => bench.name.includes(filter) || file.includes(filter))) continue;
    if (!json) process.stderr.write(`running ${bench.name} ...\n`);
    try {
      await bench.setup?.();
      if (bench.kind === 'figure') results.push({ name: bench.name, kind: 'figure', figures: await bench.measure() });
      else results.push(await measureRatio(bench));
    } catch (error) {
      results.push({ name: bench.name, verdict: 'error', error: String(error?.stack ?? error) });
    } finally {
      await bench.teardown?.();
    }
  }
  removeTempDirs(); // cases in one file may share fixtures: clean up after the file
}

const machine = { cpus: os.cpus().length, model: os.cpus()[0]?.model, memory_gib: Math.round(os.totalmem() / 2 ** 30), kernel: os.release(), node: process.version, date: new Date().toISOString() };
if (json) {
  process.stdout.write(`${JSON.stringify({ machine, results }, null, 2)}\n`);
} else {
  const rows = [['benchmark', 'ours (median)', 'reference (median)', 'ratio', 'target', 'verdict']];
  for (const r of results) {
    if (r.kind === 'figure') {
      rows.push([r.name, Object.entries(r.figures).map(([k, v]) => `${k}=${v}`).join(' '), '', '', '', 'info']);
    } else if (r.verdict === 'error') {
      rows.push([r.name, 'ERROR', r.error.split('\n')[0], '', '', 'error']);
    } else {
      rows.push([r.name, `${r.ours_ms} ms`, r.reference ? `${r.reference_ms} ms (${r.reference})` : '', r.ratio ?? '', r.target === undefined ? '' : `<= ${r.target}x`, r.verdict]);
    }
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => String(row[i]).length)));
  for (const [i, row] of rows.entries()) {
    process.stdout.write(`| ${row.map((cell, j) => String(cell).padEnd(widths[j])).join(' | ')} |\n`);
    if (i === 0) process.stdout.write(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n`);
  }
  process.stdout.write(`\nmachine: ${machine.cpus} CPU ${machine.model}, ${machine.memory_gib} GiB, Linux ${machine.kernel}, Node ${machine.node}, ${machine.date}\n`);
}
process.exitCode = results.some((r) => r.verdict === 'error') ? 1 : 0;
