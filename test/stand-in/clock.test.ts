import { describe, expect, it } from 'vitest';
import { ModelClock } from '../../local/stand-in/clock';

describe('the modelled clock', () => {
  it('runs speed times faster than the real clock it reads', () => {
    // Prepare
    let real = 1_000;
    const clock = new ModelClock({ speed: 60, start: Date.parse('2025-06-02T09:00:00Z'), realNow: () => real });

    // Act
    real += 1_000;

    // Assess
    expect(clock.date()).toEqual(new Date('2025-06-02T09:01:00Z'));
    expect(clock.toRealMs(300_000)).toBe(5_000);
  });

  it('stands still at speed 0 until advanced, and wakes a modelled sleep when its time comes', async () => {
    // Prepare
    const clock = new ModelClock({ speed: 0, start: 0 });
    let woke = false;
    const sleeping = clock.sleep(300_000).then(() => {
      woke = true;
    });

    // Act
    clock.advance(299_000);
    await Promise.resolve();
    const earlyWake = woke;
    clock.advance(1_000);
    await sleeping;

    // Assess
    expect(earlyWake).toBe(false);
    expect(woke).toBe(true);
    expect(clock.now()).toBe(300_000);
  });

  it.each([
    ['a negative speed', () => new ModelClock({ speed: -1 })],
    ['moving time backwards', () => new ModelClock({ speed: 0 }).advance(-1)],
  ])('refuses %s', (_case, act) => {
    // Act / Assess
    expect(act).toThrow(RangeError);
  });
});
