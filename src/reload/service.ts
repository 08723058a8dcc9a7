// Live config reload in run mode: watches AGENT_OVERLAY_DIR and, once a burst of changes has
// settled (AGENT_RELOAD_DEBOUNCE), re-applies the layers while the agent keeps running. The watch,
// its timers and any pending run end when the child exits.
import { once } from 'node:events';
import { agentOwner } from '../boot/prepare.js';
import { formatDuration } from '../settings/duration.js';
import type { Settings } from '../settings/env.js';
import type { Service, ServiceContext } from '../supervise/supervisor.js';
import { Debouncer } from './debounce.js';
import { Reapplier, Trigger } from './reapply.js';
import { OverlayWatch, POLL_INTERVAL_MS, type Backend, type WatchListener } from './watch.js';

/** Watches the overlay and re-applies the layers while the child runs; undefined when reload is off. */
export function reloadService(settings: Settings): Service | undefined {
  if (!settings.reload.enabled) return undefined;
  return (context) => watchAndReload(settings, context);
}

async function watchAndReload(settings: Settings, context: ServiceContext): Promise<void> {
  if (context.signal.aborted) return;
  const loop = new ReloadLoop(settings, context);
  // Not awaited: a child that exits while the watch is still opening must not wait for it (stop()
  // then makes the opening step a no-op). start() reports its own problems and never rejects.
  void loop.start();
  await once(context.signal, 'abort');
  await loop.stop();
}

/** Joins the watch, the debounce and the re-apply: events collect into a burst, a settled burst becomes one run. */
class ReloadLoop implements WatchListener {
  readonly #watch: OverlayWatch;
  readonly #debouncer: Debouncer;
  readonly #reapplier: Reapplier;
  #burst = new Trigger();

  constructor(
    private readonly settings: Settings,
    private readonly context: ServiceContext,
  ) {
    this.#watch = new OverlayWatch(settings.paths.overlayDir, this);
    this.#debouncer = new Debouncer(settings.reload.debounceMs, () => this.#flush());
    this.#reapplier = new Reapplier({ settings, log: context.log, signalChild: context.signalChild, owner: agentOwner(settings) });
  }

  start(): Promise<void> {
    return this.#watch.start();
  }

  /** Stops the timer first (nothing new starts), then the watch, then waits for a run in progress. */
  async stop(): Promise<void> {
    this.#debouncer.cancel();
    await this.#watch.close();
    await this.#reapplier.stop();
    this.context.log.debug({ step: 'reload' }, 'config watch stopped');
  }

  changed(rel: string): void {
    const path = rel === '' ? '.' : rel;
    if (!this.#debouncer.pending) {
      this.context.log.debug({ step: 'reload', path }, `config change seen; re-applying once the overlay has been quiet for ${formatDuration(this.settings.reload.debounceMs)}`);
    }
    this.#burst.add(path);
    this.#debouncer.poke();
  }

  ready(backend: Backend): void {
    // What changed between the boot's apply (or the previous watch) and now was not seen: catch up
    // first, so "watching" means every later change will be noticed.
    void this.#reapplier.request(new Trigger().add('(watch started)')).then(() => {
      if (this.context.signal.aborted) return;
      const { paths, reload } = this.settings;
      this.context.log.info(
        { step: 'reload', path: paths.overlayDir, backend, debounce: formatDuration(reload.debounceMs), ...(backend === 'polling' ? { pollEvery: formatDuration(POLL_INTERVAL_MS) } : {}) },
        `watching ${paths.overlayDir} for config changes`,
      );
    });
  }

  fellBack(code: string, reason: string): void {
    const dir = this.settings.paths.overlayDir;
    this.context.log.warn(
      { step: 'reload', path: dir, code },
      `inotify cannot be used (${code}: ${reason}); polling ${dir} every ${formatDuration(POLL_INTERVAL_MS)} instead. Raise the limit to get reloads without the polling delay`,
    );
  }

  problem(message: string): void {
    this.context.log.warn({ step: 'reload', path: this.settings.paths.overlayDir }, `config watch: ${message}`);
  }

  #flush(): void {
    const trigger = this.#burst;
    this.#burst = new Trigger();
    // After the run, make sure the watch still follows the overlay dir (a symlink may have moved).
    void this.#reapplier.request(trigger).then(() => this.#watch.retarget());
  }
}
