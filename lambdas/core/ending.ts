/** How an execution ended, as the metrics count it: pure, from the state Notify receives. */
import { OUTCOME, type Outcome } from '../shared/metrics';
import type { NotifyInput, RollbackState } from '../shared/types';

/** How an execution ended. */
export interface Ending {
  readonly outcome: Outcome;
  /** Skipped: why (a constant of lambdas/core/reasons.ts, "unknown" when none was recorded). */
  readonly reason?: string;
  /** Failed: the step that failed ("unknown" when none was recorded). */
  readonly step?: string;
  /** Succeeded: seconds from the first observable failure (the trigger's time) to recovered. */
  readonly timeToRecoveredSeconds?: number;
}

const UNKNOWN = 'unknown';

const validTime = (time: string | undefined): time is string => time !== undefined && !Number.isNaN(Date.parse(time));

/**
 * Seconds from the trigger's time (the first observable failure: the failure event's or the alarm's
 * time; a manual start's own time), else the execution's start, to recovered (the stability
 * verdict, else the health probe).
 */
export function timeToRecoveredSeconds(state: Partial<RollbackState>): number | undefined {
  const recoveredAt = state.stability?.checkedAt ?? state.health?.checkedAt;
  const triggerTime = state.request?.trigger.time;
  const from = validTime(triggerTime) ? triggerTime : state.execution?.startTime;
  if (!validTime(recoveredAt) || !validTime(from)) return undefined;
  return Math.max(0, (Date.parse(recoveredAt) - Date.parse(from)) / 1000);
}

/** The reason code of a skip: Prepare's guard, else ResolveTarget's. */
export function skipReason(state: Partial<RollbackState>): string | undefined {
  return state.request?.action === 'skip' ? state.request.actionReason : state.target?.reason;
}

/** The ending of a notification: outcome, and the reason, step or time to recovered that goes with it. */
export function endingOf(input: NotifyInput): Ending {
  const state: Partial<RollbackState> = input.state ?? {};
  switch (input.kind) {
    case 'success': {
      const seconds = timeToRecoveredSeconds(state);
      return { outcome: OUTCOME.SUCCEEDED, ...(seconds === undefined ? {} : { timeToRecoveredSeconds: seconds }) };
    }
    case 'skipped':
      return { outcome: OUTCOME.SKIPPED, reason: skipReason(state) ?? UNKNOWN };
    case 'dry-run':
      return { outcome: OUTCOME.DRY_RUN };
    case 'failure':
      return { outcome: OUTCOME.FAILED, step: state.failure?.step ?? UNKNOWN };
  }
}
