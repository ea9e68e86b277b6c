/**
 * The stand-in's modelled clock: it runs `speed` times faster than real time (60 → one modelled
 * minute per real second; 0 → frozen) and can be moved forward by hand in tests.
 */

/** Options of {@link ModelClock}. */
export interface ClockOptions {
  /** Modelled time at start (epoch ms or Date). @default the real time now */
  readonly start?: number | Date;
  /** Modelled milliseconds per real millisecond; 0 freezes the clock (tests advance it). @default 60 */
  readonly speed?: number;
  /** Source of real time in epoch ms. @default Date.now */
  readonly realNow?: () => number;
}

interface Sleeper {
  readonly until: number;
  readonly resolve: () => void;
  timer?: NodeJS.Timeout;
}

/** Modelled time: `now()` = start + advanced + real elapsed × speed. */
export class ModelClock {
  public readonly speed: number;
  private readonly realNowFn: () => number;
  private readonly realStart: number;
  private readonly modelStart: number;
  private advanced = 0;
  private readonly sleepers = new Set<Sleeper>();

  public constructor(options: ClockOptions = {}) {
    this.realNowFn = options.realNow ?? Date.now;
    this.speed = options.speed ?? 60;
    if (!(this.speed >= 0) || !Number.isFinite(this.speed)) throw new RangeError(`speed: must be a finite number >= 0, got ${this.speed}`);
    this.realStart = this.realNowFn();
    const start = options.start ?? this.realStart;
    this.modelStart = typeof start === 'number' ? start : start.getTime();
  }

  /** Modelled time in epoch ms. */
  public now(): number {
    return this.modelStart + this.advanced + (this.realNowFn() - this.realStart) * this.speed;
  }

  /** Modelled time as a Date. */
  public date(): Date {
    return new Date(this.now());
  }

  /** Real time in epoch ms (for the call log). */
  public realNow(): number {
    return this.realNowFn();
  }

  /** Moves modelled time forward by `ms` without waiting; wakes sleepers that are due. */
  public advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`advance: ms must be >= 0, got ${ms}`);
    this.advanced += ms;
    this.wake();
  }

  /** Real milliseconds that `modelMs` of modelled time take at this speed (Infinity when frozen). */
  public toRealMs(modelMs: number): number {
    return this.speed === 0 ? Number.POSITIVE_INFINITY : modelMs / this.speed;
  }

  /** Resolves once `modelMs` of modelled time have passed (by real time × speed or by advance()). */
  public sleep(modelMs: number): Promise<void> {
    const until = this.now() + Math.max(0, modelMs);
    return new Promise<void>((resolve) => {
      const sleeper: Sleeper = { until, resolve };
      this.sleepers.add(sleeper);
      this.arm(sleeper);
    });
  }

  /** Cancels pending real-time timers of sleep() (their promises stay pending). */
  public dispose(): void {
    for (const sleeper of this.sleepers) if (sleeper.timer !== undefined) clearTimeout(sleeper.timer);
    this.sleepers.clear();
  }

  private arm(sleeper: Sleeper): void {
    if (sleeper.timer !== undefined) clearTimeout(sleeper.timer);
    const remaining = sleeper.until - this.now();
    if (remaining <= 0) {
      this.sleepers.delete(sleeper);
      sleeper.resolve();
      return;
    }
    if (this.speed === 0) return;
    sleeper.timer = setTimeout(() => this.arm(sleeper), Math.max(1, Math.ceil(remaining / this.speed)));
  }

  private wake(): void {
    for (const sleeper of [...this.sleepers]) this.arm(sleeper);
  }
}
