// Helpers for tests that drive a running process: wait for its output, find its children.
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import type { Readable } from 'node:stream';

/** Resolves once `text` has appeared on the stream (rejects after `timeoutMs`). */
export function waitForOutput(stream: Readable | null | undefined, text: string, timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    if (!stream) return reject(new Error('no stream'));
    let seen = '';
    const timer = setTimeout(() => {
      stream.off('data', onData);
      reject(new Error(`timed out waiting for ${JSON.stringify(text)}; saw ${JSON.stringify(seen)}`));
    }, timeoutMs);
    const onData = (chunk: Buffer | string) => {
      seen += chunk.toString();
      if (seen.includes(text)) {
        clearTimeout(timer);
        stream.off('data', onData);
        resolve(seen);
      }
    };
    stream.on('data', onData);
  });
}

/** Direct children of a process, from /proc (every thread's list); none when it is gone. */
export function childrenOf(pid: number): number[] {
  try {
    return fs.readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

/** Polls until `probe` returns something other than undefined/false (rejects after `timeoutMs`). */
export async function until<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** States of a process's children: 'Z' marks a zombie. */
export function processState(pid: number): string | undefined {
  try {
    return execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}
