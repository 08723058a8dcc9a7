import type { ExitError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Settings } from '../settings/env.js';

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** A text as one line of a report: line breaks become ` | `. */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' | ');
}

/** What every mode receives: settings parsed once, its arguments, a logger, and its output streams. */
export interface ModeContext {
  settings: Settings;
  /** Arguments after the mode (run: the command; others: their flags). */
  args: readonly string[];
  log: Logger;
  io: Io;
}

/** What a mode prints when it fails with an expected error (the default is one FATAL line). */
export type ErrorPresenter = (error: ExitError, io: Io, context: { agent?: string | undefined; args: readonly string[] }) => void;

export interface ModeModule {
  run: (context: ModeContext) => Promise<number>;
  /** Set before the environment is parsed, so even a configuration error keeps the mode's output contract. */
  presentError?: ErrorPresenter;
}
