/** Every exit code this program uses, in one place. Probe and refresh codes are external contracts. */
export const EXIT = {
  ok: 0,
  /** Internal error (a bug): the stack is printed. */
  failure: 1,
  /** auth-init: the login command failed, or it wrote no credentials. */
  loginFailed: 1,
  /** doctor: at least one hard probe failed (each failure is explained with its evidence). */
  probesFailed: 1,
  /** refresh: skipped (nothing to do). */
  refreshSkipped: 1,
  /** refresh: transient failure (network, 5xx, 429); try again later. */
  refreshTransient: 2,
  /** refresh: permanent failure (token expired, reused or revoked); run auth-init. */
  refreshPermanent: 3,
  /** smoke-test: the agent CLI is missing, not executable, failing or too slow. */
  cliBroken: 64,
  /** smoke-test: no credentials; the slot needs auth-init. */
  credsMissing: 65,
  /** smoke-test: credentials present but unusable; the slot needs re-authentication. */
  credsInvalid: 66,
  /** Boot could not create, repair or write a path it needs. */
  cantCreate: 73,
  /** Configuration error: an environment variable, an argument or a config layer is invalid. */
  config: 78,
  /** auth-init: the login did not finish within AGENT_AUTH_INIT_TIMEOUT. */
  timeout: 124,
  /** The command to run exists but is not executable. */
  notExecutable: 126,
  /** The command to run does not exist. */
  notFound: 127,
  /** A child killed by signal n gives 128 + n. */
  signalBase: 128,
} as const;

/**
 * An expected failure: carries the exit code and one sentence for the operator that names the
 * variable or path and what to do. The top-level handler prints the sentence, never a stack.
 */
export class ExitError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ExitError';
  }
}

/** A configuration error (exit 78). */
export class ConfigError extends ExitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(EXIT.config, message, options);
    this.name = 'ConfigError';
  }
}

/** A filesystem step of the boot failed (exit 73). */
export class BootError extends ExitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(EXIT.cantCreate, message, options);
    this.name = 'BootError';
  }
}

/** The errno code of a Node system error, if it is one. */
export function errnoCode(error: unknown): string | undefined {
  if (error !== null && typeof error === 'object' && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return undefined;
}

/** A short, secret-free description of a system error: "EACCES (permission denied)". */
export function describeErrno(error: unknown): string {
  const code = errnoCode(error);
  const hints: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ENOENT: 'no such file or directory',
    ENOTDIR: 'a parent is not a directory',
    EISDIR: 'is a directory',
    EROFS: 'read-only file system',
    ENOSPC: 'no space left on device',
    EDQUOT: 'disk quota exceeded',
    ELOOP: 'too many levels of symbolic links',
    EEXIST: 'already exists',
    EBUSY: 'resource busy',
    EIO: 'input/output error',
  };
  if (code === undefined) return error instanceof Error ? error.message : String(error);
  return hints[code] ? `${code} (${hints[code]})` : code;
}
