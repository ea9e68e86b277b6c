import { beforeEach, describe, expect, it } from 'vitest';
import { SharedModelledTime } from '../../bench/concurrent';

function fakeClock() {
  let now = 1_000_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('modelled time shared by concurrent executions', () => {
  let clock: ReturnType<typeof fakeClock>;
  let time: SharedModelledTime;

  beforeEach(() => {
    clock = fakeClock();
    time = new SharedModelledTime(clock);
  });

  it('does not move while another execution is still working', async () => {
    // Prepare
    time.enter();
    time.enter();
    let woke = false;

    // Act
    void time.sleep(15_000).then(() => (woke = true));
    await Promise.resolve();

    // Assess
    expect(woke).toBe(false);
    expect(clock.now()).toBe(1_000_000);
  });

  it('moves to the earliest wake-up once every execution waits, and wakes only that one', async () => {
    // Prepare
    time.enter();
    time.enter();
    const woken: string[] = [];
    void time.sleep(15_000).then(() => woken.push('15 s'));

    // Act
    await time.sleep(5_000).then(() => woken.push('5 s'));

    // Assess
    expect(woken).toEqual(['5 s']);
    expect(clock.now()).toBe(1_005_000);
  });

  it('lets the last sleeper go when the other execution ends', async () => {
    // Prepare
    time.enter();
    time.enter();
    const sleeping = time.sleep(15_000);

    // Act
    time.leave();
    await sleeping;

    // Assess
    expect(clock.now()).toBe(1_015_000);
  });
});
