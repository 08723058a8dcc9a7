// Mount points, from /proc/self/mountinfo. A bind mount of the same filesystem keeps st_dev, so a
// device comparison alone does not find it.
import fs from 'node:fs';
import { isBelow } from './paths.js';

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Every mount point of this mount namespace (empty when /proc is not available). */
export function mountPoints(mountinfo = '/proc/self/mountinfo'): Set<string> {
  try {
    return new Set(
      fs
        .readFileSync(mountinfo, 'utf8')
        .split('\n')
        .map((line) => line.split(' ')[4])
        .filter((field): field is string => field !== undefined)
        .map(unescape),
    );
  } catch {
    return new Set();
  }
}

/** Mount points strictly below `root`. */
export function mountPointsUnder(root: string, points = mountPoints()): Set<string> {
  return new Set([...points].filter((point) => isBelow(root, point)));
}
