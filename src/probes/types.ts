// What a doctor probe reports. A failure always carries evidence: the exact operation that failed
// and the errno, exit code or observed value, so an operator can reproduce it.

export type Severity = 'hard' | 'advisory';
export type ProbeOutcome = 'pass' | 'fail' | 'skip';

export interface ProbeEvidence {
  /** The exact operation, as it could be reproduced: `open(/path, O_CREAT|O_EXCL|O_WRONLY)`. */
  operation: string;
  errno?: string | undefined;
  exit_code?: number | undefined;
  signal?: string | undefined;
  /** The end of a command's stderr. */
  stderr_tail?: string | undefined;
  path?: string | undefined;
  owner_uid?: number | undefined;
  owner_gid?: number | undefined;
  mode?: string | undefined;
  /** What was observed, when it is a value rather than an error. */
  observed?: string | number | undefined;
  expected?: string | number | undefined;
}

export interface ProbeResult {
  name: string;
  severity: Severity;
  result: ProbeOutcome;
  /** One sentence: what was found and, on failure, what to do. */
  detail: string;
  evidence?: ProbeEvidence | undefined;
  duration_ms: number;
}

/** A probe's own verdict; the runner adds name, severity and timing. */
export type ProbeVerdict =
  | { result: 'pass' | 'skip'; detail: string; evidence?: ProbeEvidence }
  | { result: 'fail'; detail: string; evidence: ProbeEvidence };

export const pass = (detail: string, evidence?: ProbeEvidence): ProbeVerdict => ({ result: 'pass', detail, evidence });
export const skip = (detail: string): ProbeVerdict => ({ result: 'skip', detail });
export const fail = (detail: string, evidence: ProbeEvidence): ProbeVerdict => ({ result: 'fail', detail, evidence });
