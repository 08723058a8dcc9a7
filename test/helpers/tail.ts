// Follows a running process's output as it arrives, so a test waits for a line instead of sleeping.
import type { Readable } from 'node:stream';
import { until } from './process.js';

export type LogLine = Record<string, unknown>;

export class Tail {
  text = '';
  /** Lines that are JSON log records, parsed, in order. */
  readonly logs: LogLine[] = [];
  #partial = '';

  constructor(stream: Readable | null | undefined) {
    stream?.on('data', (chunk: Buffer | string) => this.#feed(chunk.toString()));
  }

  #feed(chunk: string): void {
    this.text += chunk;
    const lines = (this.#partial + chunk).split('\n');
    this.#partial = lines.pop() ?? '';
    for (const line of lines) {
      try {
        const value = JSON.parse(line) as unknown;
        if (value && typeof value === 'object' && !Array.isArray(value)) this.logs.push(value as LogLine);
      } catch {
        // not a log record
      }
    }
  }

  /** Log records whose message starts with `prefix`. */
  messages(prefix: string): LogLine[] {
    return this.logs.filter((line) => typeof line.msg === 'string' && line.msg.startsWith(prefix));
  }

  /** Resolves with the `count`-th log record whose message starts with `prefix`. */
  waitForMessage(prefix: string, count = 1, timeoutMs = 15_000): Promise<LogLine> {
    return until(() => this.messages(prefix)[count - 1], timeoutMs).catch(() => {
      throw new Error(`timed out waiting for log message #${count} "${prefix}"; log so far:\n${this.text}`);
    });
  }

  /** Resolves once `text` has been printed `count` times. */
  waitForText(text: string, count = 1, timeoutMs = 15_000): Promise<void> {
    return until(() => this.text.split(text).length > count, timeoutMs).then(
      () => undefined,
      () => {
        throw new Error(`timed out waiting for ${JSON.stringify(text)} x${count}; output so far:\n${this.text}`);
      },
    );
  }
}
