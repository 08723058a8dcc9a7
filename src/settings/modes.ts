export const MODES = ['run', 'smoke-test', 'auth-init', 'refresh', 'doctor'] as const;
export type Mode = (typeof MODES)[number];

export const AGENTS = ['codex', 'claude'] as const;
export type Agent = (typeof AGENTS)[number];

export function isMode(value: string | undefined): value is Mode {
  return (MODES as readonly string[]).includes(value ?? '');
}
