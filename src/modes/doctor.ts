// doctor mode: not implemented yet.
import { EXIT, ExitError } from '../errors.js';
import type { ModeContext } from './types.js';

export async function run(_context: ModeContext): Promise<number> {
  throw new ExitError(EXIT.failure, 'mode doctor is not implemented in this build');
}
