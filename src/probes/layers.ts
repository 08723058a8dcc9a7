// layers_valid: both config layers plan without error, exactly as the boot plans them.
import { errnoCode } from '../errors.js';
import { planLayers } from '../layers/plan.js';
import type { Settings } from '../settings/env.js';
import { fail, pass, type ProbeVerdict } from './types.js';

export function probeLayers(settings: Settings): ProbeVerdict {
  const { defaultsDir, overlayDir } = settings.paths;
  const operation = `plan layers ${defaultsDir} (AGENT_DEFAULTS_DIR) + ${overlayDir} (AGENT_OVERLAY_DIR)`;
  try {
    const plan = planLayers({ agent: settings.agent, defaultsDir, overlayDir });
    const missing = [defaultsDir, overlayDir].filter((dir) => !plan.present.includes(dir));
    const note = missing.length > 0 ? `; absent (skipped): ${missing.join(', ')}` : '';
    return pass(`${plan.files.length} files and ${plan.dirs.length} directories planned${note}`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return fail(`the boot would stop: ${message}`, { operation, errno: errnoCode(error), observed: message });
  }
}
