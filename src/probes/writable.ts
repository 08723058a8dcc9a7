// Can the agent write a directory? Write a file, read it back, remove it: each step is a way a
// volume fails (permissions, a read-only mount, a full disk), and each is named when it fails.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { errnoCode } from '../errors.js';
import { octal } from '../fs/mode.js';
import { TEMP_PREFIX } from '../fs/atomic.js';
import { fail, pass, type ProbeEvidence, type ProbeVerdict } from './types.js';

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;

/** Evidence about `dir` itself: its owner and mode, when it can be seen. */
function dirEvidence(dir: string, operation: string, error: unknown): ProbeEvidence {
  const stat = fs.statSync(dir, { throwIfNoEntry: false });
  return { operation, errno: errnoCode(error), path: dir, owner_uid: stat?.uid, owner_gid: stat?.gid, mode: stat ? octal(stat.mode) : undefined };
}

function remedy(variable: string, dir: string, error: unknown): string {
  const errno = errnoCode(error);
  if (errno === 'ENOENT') return `${variable} ${dir} does not exist; run mode creates it at boot (as root), or create it in the image`;
  if (errno === 'EROFS') return `${variable} ${dir} is on a read-only file system; mount the volume read-write`;
  if (errno === 'ENOSPC' || errno === 'EDQUOT') return `${variable} ${dir} is full; free space or grow the volume`;
  return `${variable} ${dir} is not writable by uid ${process.getuid?.()}; give it to the agent (run mode as root repairs it) or fix its mode`;
}

/** Writes, reads back and removes a probe file in `dir` as the current user. */
export function probeWritable(variable: string, dir: string): ProbeVerdict {
  const file = path.join(dir, `${TEMP_PREFIX}doctor.${process.pid}.${randomBytes(4).toString('hex')}`);
  const payload = `doctor ${Date.now()}\n`;
  let step = `open(${file}, O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW, 0600)`;
  try {
    const fd = fs.openSync(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    try {
      step = `write(${file})`;
      fs.writeSync(fd, payload);
      step = `fsync(${file})`;
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    step = `read(${file})`;
    const back = fs.readFileSync(file, 'utf8');
    step = `unlink(${file})`;
    fs.unlinkSync(file);
    if (back !== payload) return fail(`${variable} ${dir} returned different bytes than were written; the volume is corrupting data`, { operation: `read(${file})`, path: dir, observed: back.length, expected: payload.length });
    return pass(`${variable} ${dir}: wrote, read back and removed a file`);
  } catch (error) {
    try {
      fs.rmSync(file, { force: true });
    } catch {
      // it was never created
    }
    return fail(remedy(variable, dir, error), dirEvidence(dir, step, error));
  }
}
