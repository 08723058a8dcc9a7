// Writing rotated tokens so they are never lost: the temp file is created next to the credentials
// (and filled with the current content, so its blocks are allocated) *before* the refresh token is
// redeemed. A directory the agent cannot write, or a full disk, then fails before the server has
// retired the old token. After the answer: rewrite in place, fsync, rename, fsync the directory.
import fs from 'node:fs';
import path from 'node:path';
import { discardOpenTemp, openTempFile, syncDirectories, type OpenTempFile } from '../fs/atomic.js';

/** Credentials are private to the agent. */
export const CREDENTIALS_MODE = 0o600;

export interface Reservation {
  staged: OpenTempFile;
  done: boolean;
}

/** Creates the temp file for `dest`, pre-filled with `current`. Throws the errno error when it cannot. */
export function reserve(dest: string, current: string): Reservation {
  return { staged: openTempFile(dest, current, { mode: CREDENTIALS_MODE }), done: false };
}

/** Replaces the temp file's content with `text` and renames it over the credentials, durably. */
export function commit(reservation: Reservation, text: string): void {
  const { fd, temp, dest } = reservation.staged;
  const buffer = Buffer.from(text);
  let offset = 0;
  while (offset < buffer.length) offset += fs.writeSync(fd, buffer, offset, buffer.length - offset, offset);
  fs.ftruncateSync(fd, buffer.length);
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  fs.renameSync(temp, dest);
  reservation.done = true;
  syncDirectories([path.dirname(dest)]);
}

/** Removes the temp file when nothing was committed. */
export function release(reservation: Reservation): void {
  if (!reservation.done) discardOpenTemp(reservation.staged);
  reservation.done = true;
}

/** Serialises a document in the style of the text it came from (indented or compact, final newline or not). */
export function serializeLike(original: string, doc: unknown): string {
  const pretty = /^\{[ \t]*\r?\n/.test(original.replace(/^\uFEFF/, '').trimStart());
  const body = pretty ? JSON.stringify(doc, null, detectIndent(original)) : JSON.stringify(doc);
  return original.endsWith('\n') ? `${body}\n` : body;
}

function detectIndent(text: string): number | string {
  const match = /\n([ \t]+)"/.exec(text);
  if (!match) return 2;
  return match[1]!.startsWith('\t') ? '\t' : match[1]!.length;
}
