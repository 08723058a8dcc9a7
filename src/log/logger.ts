// pino to stderr (stdout belongs to the agent and to probe output), synchronously, scrubbed.
import pino from 'pino';
import { scrub, scrubFields } from './secrets.js';
import { writeAllSync } from './write.js';
import type { LogFormat, LogLevel } from '../settings/env.js';

export type Logger = pino.Logger;

export interface LoggerOptions {
  level: LogLevel;
  format: LogFormat;
  /** Extra fields on every line (e.g. the mode). */
  base?: Record<string, unknown>;
  /** Where lines go; stderr by default. Tests pass their own sink. */
  write?: (line: string) => void;
}

const writeStderr = (line: string) => writeAllSync(2, line);

const LEVEL_NAMES: Record<string, string> = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO ', warn: 'WARN ', error: 'ERROR', fatal: 'FATAL' };
const OMIT_IN_PRETTY = new Set(['level', 'time', 'msg', 'pid', 'name', 'mode']);

/** Renders one JSON log line for a human: `12:00:00 INFO  message key=value ...`. */
export function prettyLine(line: string): string {
  try {
    const record = JSON.parse(line) as Record<string, unknown>;
    const time = typeof record.time === 'string' ? record.time.slice(11, 19) : '';
    const fields = Object.entries(record)
      .filter(([key]) => !OMIT_IN_PRETTY.has(key))
      .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
    const level = LEVEL_NAMES[String(record.level)] ?? String(record.level);
    return `${time} ${level} ${String(record.msg ?? '')}${fields.length ? ` ${fields.join(' ')}` : ''}\n`;
  } catch {
    return line;
  }
}

export function createLogger(options: LoggerOptions): Logger {
  const sink = options.write ?? writeStderr;
  const stream = {
    write(line: string) {
      const clean = scrub(line);
      sink(options.format === 'pretty' ? prettyLine(clean) : clean);
    },
  };
  return pino(
    {
      level: options.level,
      base: { name: 'agent-entrypoint', pid: process.pid, ...options.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (record) => scrubFields(record),
      },
    },
    stream,
  );
}

/** A logger that discards everything (for library calls in tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' }, { write() {} });
}
