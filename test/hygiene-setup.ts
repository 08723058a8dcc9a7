// Global setup: a directory where every test file leaves what the secret hygiene scan saw
// (test/helpers/hygiene.ts), and, once every file has run, the verdict for the whole suite: the run
// fails if anything the program printed or wrote, or any child it started, held a fixture secret.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Counts, Hit } from './helpers/hygiene.js';

let dir: string;

export function setup(): void {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ae-hygiene-'));
  process.env.AE_HYGIENE_DIR = dir;
}

export function teardown(): void {
  const records: Array<Counts & { testFile: string; hits: Hit[] }> = [];
  for (const name of fs.readdirSync(dir)) {
    for (const line of fs.readFileSync(path.join(dir, name), 'utf8').split('\n')) if (line) records.push(JSON.parse(line) as (typeof records)[number]);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const total = (key: keyof Counts) => records.reduce((sum, record) => sum + record[key], 0);
  const hits = records.flatMap((record) => record.hits.map((hit) => `${path.relative(process.cwd(), record.testFile)}: ${hit.what} in ${hit.where}`));
  const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
  console.log(
    `secret hygiene: ${total('outputs')} outputs (${mib(total('outputBytes'))} MiB), ${total('processes')} child processes, ${total('files')} files (${mib(total('fileBytes'))} MiB) scanned for ${total('secrets')} secrets and the fixture marker, over ${records.length} test files: ${hits.length} hits`,
  );
  if (hits.length > 0) throw new Error(`secret hygiene: ${hits.length} hits\n${[...new Set(hits)].slice(0, 50).join('\n')}`);
}
