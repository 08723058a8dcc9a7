// Re-applies the config layers while the agent runs: plans both layers again exactly as at boot and
// applies only what changed (the same plan and apply, with the same manifest). An invalid update is
// refused before anything is written, so the last good config stays in place; it is reported once
// and applied as soon as a later update fixes it. Nothing here ever stops the agent.
import { applyLayers, logApplyWarnings, roundMs } from '../boot/prepare.js';
import { ConfigError, ExitError } from '../errors.js';
import type { Owner } from '../fs/atomic.js';
import { LayerChangedError, type ApplyResult } from '../layers/apply.js';
import type { Logger } from '../log/logger.js';
import type { Settings } from '../settings/env.js';

export interface ReapplyOptions {
  settings: Settings;
  log: Logger;
  /** Owner of what is written: the agent when this process is still root, else undefined (ours). */
  owner: Owner | undefined;
  /** Sends AGENT_ON_CONFIG_CHANGE to the child. */
  signalChild: (signal: NodeJS.Signals) => void;
}

/** Paths a trigger lists; a burst over a large plain directory keeps a count of the rest. */
const MAX_TRIGGER_PATHS = 50;

/** What set a run off: overlay paths relative to AGENT_OVERLAY_DIR, or a reason in parentheses. */
export class Trigger {
  readonly paths: string[] = [];
  more = 0;

  add(path: string): this {
    if (this.paths.includes(path)) return this;
    if (this.paths.length < MAX_TRIGGER_PATHS) this.paths.push(path);
    else this.more++;
    return this;
  }

  merge(other: Trigger): void {
    for (const path of other.paths) this.add(path);
    this.more += other.more;
  }

  /** One log field: the paths, with a count of those left out. */
  toJSON(): string[] {
    return this.more > 0 ? [...this.paths, `(+${this.more} more)`] : this.paths;
  }
}

function changedSomething(result: ApplyResult): boolean {
  return result.written.length > 0 || result.removed.length > 0;
}

/** Runs one reload at a time; requests that arrive meanwhile merge into a single next run. */
export class Reapplier {
  #queue: Promise<void> = Promise.resolve();
  #next: { trigger: Trigger; done: Promise<void> } | undefined;
  /** The last failure reported, so a repeat of the same problem is not logged again. */
  #failure: { message: string; refused: boolean } | undefined;
  #stopped = false;

  constructor(private readonly options: ReapplyOptions) {}

  /** Asks for a run; resolves once a run that saw this request has finished. */
  request(trigger: Trigger): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (this.#next) {
      this.#next.trigger.merge(trigger);
      return this.#next.done;
    }
    const next = { trigger, done: Promise.resolve() };
    next.done = this.#queue = this.#queue
      .then(() => {
        this.#next = undefined;
        return this.#run(next.trigger);
      })
      .catch((error: unknown) => this.options.log.error({ step: 'reload', err: error }, 'config reload failed unexpectedly (a bug; please report it)'));
    this.#next = next;
    return next.done;
  }

  /** No new runs; resolves when the run in progress (if any) has finished. */
  stop(): Promise<void> {
    this.#stopped = true;
    return this.#queue;
  }

  async #run(trigger: Trigger): Promise<void> {
    if (this.#stopped) return;
    const { settings, log, owner } = this.options;
    const start = performance.now();
    let result: ApplyResult;
    try {
      result = await applyLayers(settings, owner);
    } catch (error) {
      this.#failed(error, trigger);
      return;
    }
    const fields = { step: 'reload', ms: roundMs(performance.now() - start), trigger: trigger.toJSON() };
    const previous = this.#failure;
    this.#failure = undefined;
    logApplyWarnings(log, 'reload', result);
    const fixed = previous === undefined ? '' : previous.refused ? '; the earlier invalid update is fixed' : '; the earlier failure is resolved';
    if (!changedSomething(result)) {
      if (previous) log.info({ ...fields, unchanged: result.unchanged }, `config unchanged${fixed}`);
      else log.debug({ ...fields, unchanged: result.unchanged }, 'config unchanged');
      return;
    }
    log.info(
      { ...fields, written: result.written, removed: result.removed, unchanged: result.unchanged, bytes: result.bytesWritten },
      `config reloaded${fixed}`,
    );
    this.#notifyChild();
  }

  #notifyChild(): void {
    const signal = this.options.settings.reload.onChangeSignal;
    if (signal === undefined) return;
    this.options.log.info({ step: 'reload', signal }, `sending ${signal} to the child (AGENT_ON_CONFIG_CHANGE)`);
    this.options.signalChild(signal);
  }

  /**
   * Reports a failed run once. A refused update (invalid layer) never wrote anything: the config in
   * place is the last good one. A failure while writing is retried with the next change.
   */
  #failed(error: unknown, trigger: Trigger): void {
    const { log } = this.options;
    const fields = { step: 'reload', trigger: trigger.toJSON() };
    if (error instanceof LayerChangedError) {
      // Swaps kept landing mid-apply; the latest one's own event brings the next run.
      log.warn(fields, `config not reloaded yet: ${error.message}; it is applied after the next change`);
      return;
    }
    if (!(error instanceof ExitError)) {
      log.error({ ...fields, err: error }, 'config reload failed unexpectedly (a bug; please report it); the agent keeps running');
      return;
    }
    if (error.message === this.#failure?.message) {
      log.debug(fields, 'config update still not applied (same problem as before)');
      return;
    }
    const refused = error instanceof ConfigError;
    this.#failure = { message: error.message, refused };
    log.error(
      fields,
      refused
        ? `config update not applied, the last good config stays in place: ${error.message}`
        : `config reload failed, it is retried after the next change: ${error.message}`,
    );
  }
}
