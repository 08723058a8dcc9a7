// Turns a burst of filesystem events into one call. A kubelet swap reports `..data` plus any key
// links it adds or removes; an editor saving a file reports a truncate and a write. The call comes
// `delayMs` after the last event of the burst.
//
// clearTimeout rather than an aborted `timers/promises` sleep per event: a burst restarts the
// quiet period many times in a few milliseconds, and a restart should cost nothing.
export class Debouncer {
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly delayMs: number,
    private readonly fire: () => void,
  ) {}

  /** Restarts the quiet period. */
  poke(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.fire();
    }, this.delayMs);
  }

  get pending(): boolean {
    return this.#timer !== undefined;
  }

  /** Nothing fires afterwards, and no timer holds the process. */
  cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
