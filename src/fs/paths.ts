import path from 'node:path';

/** True when `candidate` lies strictly below the directory `dir` (both absolute and normalised). */
export function isBelow(dir: string, candidate: string): boolean {
  return candidate.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);
}
