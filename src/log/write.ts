import { writeSync } from 'node:fs';

/** Writes to a file descriptor synchronously, retrying while a non-blocking pipe is full. */
export function writeAllSync(fd: number, text: string): void {
  let buffer = Buffer.from(text);
  while (buffer.length > 0) {
    try {
      buffer = buffer.subarray(writeSync(fd, buffer));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') return;
    }
  }
}
