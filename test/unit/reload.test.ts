import { afterEach, describe, expect, it, vi } from 'vitest';
import { Debouncer } from '../../src/reload/debounce.js';
import { Trigger } from '../../src/reload/reapply.js';
import { isIgnoredPath } from '../../src/reload/watch.js';

describe('Debouncer', () => {
  // Fake timers: what is tested is the order of pokes and the quiet period, not the clock.
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires once, a quiet period after the last poke of a burst', () => {
    vi.useFakeTimers();
    const fire = vi.fn();
    const debouncer = new Debouncer(500, fire);
    for (let i = 0; i < 5; i++) {
      debouncer.poke();
      vi.advanceTimersByTime(400);
    }
    expect(fire).not.toHaveBeenCalled();
    expect(debouncer.pending).toBe(true);
    vi.advanceTimersByTime(100);
    expect(fire).toHaveBeenCalledTimes(1);
    expect(debouncer.pending).toBe(false);
  });

  it('never fires after cancel, and leaves no timer behind', () => {
    vi.useFakeTimers();
    const fire = vi.fn();
    const debouncer = new Debouncer(500, fire);
    debouncer.poke();
    debouncer.cancel();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(10_000);
    expect(fire).not.toHaveBeenCalled();
  });
});

describe('isIgnoredPath (what the overlay watch skips)', () => {
  const root = '/etc/codex-config';
  it.each([
    ['/etc/codex-config/..2026_11_22_06_05_09.123456789', true],
    ['/etc/codex-config/..2026_11_22_06_05_09.123456789/config.toml', true],
    ['/etc/codex-config/..data_tmp', true],
    ['/etc/codex-config/..data', false],
    ['/etc/codex-config', false],
    ['/etc/codex-config/config.toml', false],
    ['/etc/codex-config/prompts/..not-internal-below-the-top', false],
    ['/etc/passwd', true],
  ])('%s -> %s', (candidate, ignored) => {
    expect(isIgnoredPath(root, candidate)).toBe(ignored);
  });
});

describe('Trigger', () => {
  it('lists distinct paths and counts those past the cap', () => {
    const trigger = new Trigger().add('a').add('a');
    const big = new Trigger();
    for (let i = 0; i < 60; i++) big.add(`f${i}`);
    trigger.merge(big);
    expect(trigger.paths).toHaveLength(50);
    expect(trigger.toJSON().at(-1)).toBe('(+11 more)');
  });
});
