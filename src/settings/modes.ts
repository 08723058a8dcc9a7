export const MODES = ['run', 'smoke-test', 'auth-init', 'refresh', 'doctor'] as const;
export type Mode = (typeof MODES)[number];

export const AGENTS = ['codex', 'claude'] as const;
export type Agent = (typeof AGENTS)[number];

export function isMode(value: string | undefined): value is Mode {
  return (MODES as readonly string[]).includes(value ?? '');
}

/** `value` when it names an agent, else null (an error report must not echo an unchecked AGENT). */
export function knownAgent(value: string | undefined): Agent | null {
  return (AGENTS as readonly string[]).includes(value ?? '') ? (value as Agent) : null;
}
