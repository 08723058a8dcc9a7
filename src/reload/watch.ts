// Watches AGENT_OVERLAY_DIR for what matters to the layers: kubelet's `..data` swap, files edited in
// place (a plain directory or a bind mount), keys added or removed, and the directory itself
// appearing or going away (chokidar then waits for it from its nearest existing parent).
//
// Kubelet's timestamped payload directories are not watched: every swap creates one and removes
// another, which would report each key twice; the `..data` link changing is the swap itself.
// Symlinks are not followed for the same reason (kubelet's per-key links lead into `..data`).
//
// inotify is used. Only when it cannot be (the watch or instance limit is exhausted) does the watch
// fall back to polling, and says so once.
import fs from 'node:fs';
import path from 'node:path';
import type { ChokidarOptions, FSWatcher } from 'chokidar';
import { errnoCode } from '../errors.js';
import { isKubeletInternal } from '../layers/enumerate.js';

export type Backend = 'inotify' | 'polling';

export interface WatchListener {
  /** Something under the overlay changed; `rel` is relative to the overlay dir ('' for the dir itself). */
  changed(rel: string): void;
  /** The watch is in place (at start, and again after a fallback or a retarget). */
  ready(backend: Backend): void;
  /** inotify cannot be used: the watch polls from now on. */
  fellBack(code: string, reason: string): void;
  /** A problem worth one warning (an unreadable subdirectory, ...); the watch goes on. */
  problem(message: string): void;
}

/** How often the polling fallback looks: a reload within about a second, at a negligible CPU cost. */
export const POLL_INTERVAL_MS = 1000;

/** Errors meaning inotify itself cannot be used, as opposed to one path being unreadable. */
const INOTIFY_UNAVAILABLE: Record<string, string> = {
  ENOSPC: 'the inotify watch limit (fs.inotify.max_user_watches) is exhausted',
  EMFILE: 'the inotify instance limit (fs.inotify.max_user_instances) or the open-file limit is exhausted',
  ENFILE: 'the system-wide open-file limit is exhausted',
  ENOSYS: 'the kernel does not provide inotify',
};

/** Distinct warnings per watch: a directory that stays unreadable must not flood the log. */
const MAX_PROBLEMS = 20;

/**
 * Whether the watch skips `candidate`: kubelet's internals at the top of `root` (payload
 * directories, `..data_tmp`) but not `..data`, and anything beside `root` (its parents are only
 * watched while `root` does not exist; chokidar never ignores the parents themselves).
 */
export function isIgnoredPath(root: string, candidate: string): boolean {
  const first = path.relative(root, candidate).split(path.sep)[0]!;
  return first !== '..data' && isKubeletInternal(first);
}

/** The directory to watch: the overlay's real path, so a symlinked AGENT_OVERLAY_DIR is watched inside. */
function resolveDir(dir: string): string {
  try {
    return fs.realpathSync(dir);
  } catch {
    return dir; // missing (for now): chokidar waits for it from the nearest existing parent
  }
}

export class OverlayWatch {
  #watcher: FSWatcher | undefined;
  #target: string;
  #backend: Backend = 'inotify';
  #closed = false;
  #problems = new Set<string>();
  /** Opening and closing run one after another, so a fallback or a retarget never races close(). */
  #transitions: Promise<void> = Promise.resolve();

  constructor(
    readonly dir: string,
    private readonly listener: WatchListener,
  ) {
    this.#target = dir;
  }

  start(): Promise<void> {
    return this.#enqueue(() => this.#open());
  }

  /** Reopens the watch when the overlay dir now resolves elsewhere (a symlink retargeted or replaced). */
  retarget(): Promise<void> {
    return this.#enqueue(async () => {
      if (this.#watcher === undefined || resolveDir(this.dir) === this.#target) return;
      await this.#shut();
      await this.#open();
    });
  }

  /** Stops watching for good; resolves once chokidar has released every handle and timer. */
  close(): Promise<void> {
    this.#closed = true;
    return this.#enqueue(() => this.#shut());
  }

  /** Runs `step` after the previous ones. Never rejects: a failure is reported as a problem. */
  #enqueue(step: () => Promise<void>): Promise<void> {
    this.#transitions = this.#transitions
      .then(step)
      .catch((error: unknown) => this.#report(`cannot watch ${this.dir}: ${error instanceof Error ? error.message : String(error)}`));
    return this.#transitions;
  }

  #options(target: string): ChokidarOptions {
    return {
      ignoreInitial: true,
      followSymlinks: false,
      ignored: (candidate: string) => candidate !== this.dir && isIgnoredPath(target, candidate),
      backend: this.#backend === 'polling' ? 'polling' : 'native',
      pollingInterval: POLL_INTERVAL_MS,
      pollingBinaryInterval: POLL_INTERVAL_MS,
    };
  }

  async #open(): Promise<void> {
    if (this.#closed) return;
    // Loaded here, not at the top: run mode's start-up does not pay for the watcher.
    const { FSWatcher } = await import('chokidar');
    if (this.#closed) return;
    const target = resolveDir(this.dir);
    const watcher = new FSWatcher(this.#options(target));
    // chokidar honours CHOKIDAR_USEPOLLING; report what it really does.
    if (watcher.options.usePolling) this.#backend = 'polling';
    watcher.on('all', (_event, changed) => this.#onEvent(watcher, target, changed));
    watcher.on('error', (error) => this.#onError(watcher, error));
    watcher.on('ready', () => {
      if (watcher === this.#watcher) this.listener.ready(this.#backend);
    });
    this.#watcher = watcher;
    this.#target = target;
    // A symlinked overlay dir: its target is watched for content, the link itself for a retarget.
    watcher.add(target === this.dir ? target : [target, this.dir]);
  }

  async #shut(): Promise<void> {
    const watcher = this.#watcher;
    this.#watcher = undefined;
    await this.#release(watcher);
  }

  async #release(watcher: FSWatcher | undefined): Promise<void> {
    try {
      await watcher?.close();
    } catch (error) {
      this.#report(`closing the watch failed: ${(error as Error).message}`);
    }
  }

  #onEvent(watcher: FSWatcher, target: string, changed: string): void {
    if (watcher !== this.#watcher) return;
    const rel = changed === this.dir ? '' : path.relative(target, changed);
    // A parent of a missing overlay dir: only the overlay dir itself appearing matters.
    if (rel === '..' || rel.startsWith(`..${path.sep}`)) return;
    this.listener.changed(rel);
  }

  #onError(watcher: FSWatcher, error: unknown): void {
    if (watcher !== this.#watcher) return;
    const code = errnoCode(error);
    const reason = code === undefined ? undefined : INOTIFY_UNAVAILABLE[code];
    if (reason !== undefined && this.#backend === 'inotify') {
      // Partly watched is not watched: start over with polling for the whole overlay.
      this.#backend = 'polling';
      this.#watcher = undefined; // what it reports from now on is stale
      this.listener.fellBack(code!, reason);
      void this.#enqueue(async () => {
        await this.#release(watcher);
        await this.#open();
      });
      return;
    }
    this.#report(error instanceof Error ? error.message : String(error));
  }

  #report(message: string): void {
    if (this.#problems.has(message) || this.#problems.size >= MAX_PROBLEMS) return;
    this.#problems.add(message);
    this.listener.problem(message);
  }
}
