/**
 * What users feel, measured the same way for every side from the stand-in's transition history
 * (model.history): the bad-service window, the time to recovered from the first observable
 * failure, churn (tasks started and stopped) and capacity lost (task-seconds below desired), plus
 * the moments of the timeline chart. Pure: no model, no clock.
 */
import type { ModelTransition } from '../local/stand-in/index';

/** One run of one side, as users felt it. Times are modelled epoch ms; durations ms. */
export interface RunMeasures {
  /** From the first failing request or capacity lost to the good version serving at full desired capacity (0: users saw nothing). */
  readonly badServiceWindowMs: number;
  /** From the first observable failure (a task failing to start, or the first failed health check) to the service back on a good version with its targets healthy. */
  readonly recoveredMs: number;
  readonly tasksStarted: number;
  readonly tasksStopped: number;
  /** Task-seconds the service served below desired capacity with the good version. */
  readonly capacityLostTaskSeconds: number;
  readonly moments: Moments;
}

/** The moments of a side's timeline (epoch ms), for the chart. */
export interface Moments {
  readonly deployed: number;
  readonly firstFailure: number;
  /** The rollback decided (the detection); set by the side. */
  readonly detection?: number;
  /** The rollback deployment became PRIMARY. */
  readonly ecsStart?: number;
  readonly healthy: number;
  /** Every task of the other deployments stopped (old targets drained), after healthy. */
  readonly drained?: number;
}

/** What to measure. */
export interface MeasureInput {
  readonly history: readonly ModelTransition[];
  readonly serviceArn: string;
  readonly desiredCount: number;
  /** When the bad deployment started (measures start there). */
  readonly deployedAt: number;
  /** When the rollback was decided, if the side knows (for the chart). */
  readonly detectionAt?: number;
}

interface TaskState {
  readonly deploymentId: string;
  /** Runs the known-good version (not a failing or regressing image). */
  readonly good: boolean;
  target?: ModelTransition & { kind: 'target' };
  failing: boolean;
  live: boolean;
}

/** Measures one run; undefined when the service never came back on a good version. */
export function measureRun(input: MeasureInput): RunMeasures | undefined {
  const { desiredCount, deployedAt } = input;
  // Everything the service went through, in time order (a service created steady records its past);
  // only what happens from the bad deployment on is measured.
  const events = input.history.filter((e) => e.serviceArn === input.serviceArn).sort((a, b) => a.at - b.at);
  const tasks = new Map<string, TaskState>();
  let primary: string | undefined;
  let badPrimarySeen = false;
  let rollbackPrimary: { id: string; at: number } | undefined;
  let firstFailure: number | undefined;
  let badStart: number | undefined;
  let badEnd: number | undefined;
  let healthy: number | undefined;
  let drained: number | undefined;
  let started = 0;
  let stopped = 0;
  let lostMs = 0;
  let lastAt = deployedAt;
  let goodServing = desiredCount;

  const refresh = () => {
    goodServing = [...tasks.values()].filter((t) => t.target?.state === 'healthy' && !t.failing).length;
  };
  const evaluate = (at: number) => {
    const all = [...tasks.values()];
    const serving = all.filter((t) => t.target?.state === 'healthy');
    goodServing = serving.filter((t) => !t.failing).length;
    const anyHealthy = serving.length > 0;
    const failingRoutable = all.some((t) => t.failing && (t.target?.state === 'healthy' || (!anyHealthy && t.target?.state === 'unhealthy')));
    const bad = failingRoutable || goodServing < desiredCount;
    if (bad && badStart === undefined) badStart = at;
    if (!bad && badStart !== undefined && badEnd === undefined) badEnd = at;
    if (bad && badEnd !== undefined) badEnd = undefined;
    if (healthy === undefined && rollbackPrimary !== undefined && primary === rollbackPrimary.id) {
      const ofPrimary = all.filter((t) => t.deploymentId === primary && t.good && !t.failing && t.target?.state === 'healthy');
      if (ofPrimary.length >= desiredCount) healthy = at;
    }
    if (healthy !== undefined && drained === undefined && all.every((t) => !t.live || t.deploymentId === primary)) drained = at;
  };

  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    const measured = e.at >= deployedAt;
    if (measured && healthy === undefined) lostMs += Math.max(0, desiredCount - goodServing) * (e.at - Math.max(lastAt, deployedAt));
    lastAt = e.at;
    switch (e.kind) {
      case 'primary':
        // The first PRIMARY from deployedAt on is the bad deployment; each later one (before recovery) a rollback.
        if (measured && badPrimarySeen && healthy === undefined) rollbackPrimary = { id: e.deploymentId, at: e.at };
        if (measured) badPrimarySeen = true;
        primary = e.deploymentId;
        break;
      case 'task': {
        const known = tasks.get(e.taskArn);
        const state: TaskState = known ?? { deploymentId: e.deploymentId, good: e.behaviour === 'good', failing: false, live: true };
        tasks.set(e.taskArn, state);
        if (e.status === 'PROVISIONING' && measured) started += 1;
        if (e.status === 'FAILED') {
          if (measured) firstFailure ??= e.at;
          if (measured) stopped += 1;
          state.live = false;
        }
        if (e.status === 'STOPPED') {
          if (measured) stopped += 1;
          state.live = false;
        }
        break;
      }
      case 'target': {
        const state = tasks.get(e.taskArn);
        if (state !== undefined) state.target = e;
        break;
      }
      case 'failing': {
        const state = tasks.get(e.taskArn);
        if (state !== undefined) state.failing = true;
        break;
      }
      case 'check-failed':
        if (measured) firstFailure ??= e.at;
        break;
    }
    if (events[i + 1]?.at !== e.at && measured) evaluate(e.at);
    else if (events[i + 1]?.at !== e.at) refresh();
  }
  if (firstFailure === undefined || healthy === undefined) return undefined;
  const end = badEnd ?? healthy;
  return {
    badServiceWindowMs: badStart === undefined || badStart > end ? 0 : end - badStart,
    recoveredMs: healthy - firstFailure,
    tasksStarted: started,
    tasksStopped: stopped,
    capacityLostTaskSeconds: lostMs / 1000,
    moments: {
      deployed: deployedAt,
      firstFailure,
      ...(input.detectionAt === undefined ? {} : { detection: input.detectionAt }),
      ...(rollbackPrimary === undefined ? {} : { ecsStart: rollbackPrimary.at }),
      healthy,
      ...(drained === undefined ? {} : { drained }),
    },
  };
}

/** The p-th percentile (0–100) of a non-empty list, nearest-rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new RangeError('percentile: no values');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile: p must be within 0–100, got ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** p50 and p90 (and p95 with at least 20 values) of a list. */
export interface Quantiles {
  readonly p50: number;
  readonly p90: number;
  readonly p95?: number;
}

/** The quantiles the report prints; p95 only when the runs allow it (≥ 20). */
export function quantiles(values: readonly number[]): Quantiles {
  return {
    p50: percentile(values, 50),
    p90: percentile(values, 90),
    ...(values.length >= 20 ? { p95: percentile(values, 95) } : {}),
  };
}
