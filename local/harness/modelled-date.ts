/** Makes the whole process read a modelled clock through `Date`. */

/** Puts back the real Date. */
export type RestoreDate = () => void;

let installed = false;

/**
 * Replaces globalThis.Date with a subclass whose `Date.now()` and `new Date()` read `now()`.
 * The handlers (deps.now, resolvedAt, ...), Powertools idempotency (expiry and in-progress
 * timestamps) and aws-local-stepfunctions ($$.Execution.StartTime) all read Date, so this is
 * what lets them live on the stand-in's modelled time instead of the wall clock.
 */
export function installModelledDate(now: () => number): RestoreDate {
  if (installed) throw new Error('installModelledDate: a modelled Date is already installed (one world at a time)');
  const RealDate = globalThis.Date;
  class ModelledDate extends RealDate {
    public constructor(...args: unknown[]) {
      if (args.length === 0) super(now());
      else super(...(args as [string | number | Date]));
    }

    public static override now(): number {
      return now();
    }
  }
  globalThis.Date = ModelledDate as DateConstructor;
  installed = true;
  return () => {
    if (globalThis.Date === ModelledDate) globalThis.Date = RealDate;
    installed = false;
  };
}
