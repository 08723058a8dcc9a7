// A complete slot laid out in temp directories: every path the program touches is inside `root`.
import path from 'node:path';
import { tempDir } from './tree.js';

/** The pinned agent identity, as the program's defaults give it. */
export const AGENT_UID = 10001;
export const AGENT_GID = 10001;

/** Each CLI's credentials file in its config dir. */
export const CREDENTIALS = { codex: 'auth.json', claude: '.credentials.json' } as const;

export interface Slot {
  root: string;
  home: string;
  configDir: string;
  workspace: string;
  shared: string;
  defaults: string;
  overlay: string;
  /** Environment for the bundle: AGENT plus every path variable pointing into `root`. */
  env: Record<string, string>;
}

export function makeSlot(agent: 'codex' | 'claude' = 'codex', extra: Record<string, string> = {}): Slot {
  const root = tempDir();
  const home = path.join(root, 'home', agent);
  const slot = {
    root,
    home,
    configDir: path.join(home, agent === 'codex' ? '.codex' : '.claude'),
    workspace: path.join(home, 'workspace'),
    shared: path.join(root, 'agent-home'),
    defaults: path.join(root, 'etc', `${agent}-defaults`),
    overlay: path.join(root, 'etc', `${agent}-config`),
  };
  return {
    ...slot,
    env: {
      AGENT: agent,
      AGENT_HOME: slot.home,
      AGENT_SHARED_HOME: slot.shared,
      AGENT_DEFAULTS_DIR: slot.defaults,
      AGENT_OVERLAY_DIR: slot.overlay,
      AGENT_REFRESH: 'off',
      AGENT_RELOAD: 'off',
      ...extra,
    },
  };
}
