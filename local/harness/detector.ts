/**
 * The task-stop detector in a world, as the CDK app deploys it: the stand-in's "ECS Task State
 * Change" events that the detector's rule matches (lib/constructs/detector.ts taskStopPattern: the
 * watched services' tasks, desiredStatus STOPPED) invoke the bundled detector, asynchronously as
 * EventBridge invokes a Lambda target; its StartExecution reaches the world's Step Functions, which
 * runs the real ASL with the bundles. The scenario driver advances modelled time from one model job
 * to the next (`advance`); each invocation runs DETECTOR_INVOCATION_DELAY_MS after its event (the
 * bench draws that delay per invocation instead: `invocationDelayMs`).
 * An invocation that fails is retried as Lambda retries an asynchronous invocation: twice, about one
 * and then two minutes later; after that the event goes to the function's dead-letter queue
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html).
 */
import type { DetectorResult } from '../../lambdas/detect-task-stops/detect';
import { AWS_TIMINGS } from '../stand-in/aws-timings';
import type { StandInEvent } from '../stand-in/index';
import { importDetector } from './bundles';
import type { RollbackRun } from './run';
import { lambdaCrash, stepFunctionsOf } from './run';
import type { ExecutionRecord } from './step-functions';
import type { World } from './world';

/** The detector's settings (lib/config.ts taskStopDetector). */
export interface HarnessDetectorOptions {
  /** @default the configuration's default */
  readonly threshold?: number;
  /** @default the configuration's default */
  readonly windowMinutes?: number;
  /** @default false */
  readonly notifyOnly?: boolean;
  /**
   * Stages crashes of the detector's Lambda (the fault matrix): asked before each invocation (its event and attempt,
   * 0 for the first); "before": the runtime fails before the handler runs, "after": the handler ran (its calls took
   * effect) and the runtime fails before answering. Lambda reports both as a function error, so the invocation is
   * retried like any failed one.
   */
  readonly crash?: (event: StandInEvent, attempt: number) => 'before' | 'after' | undefined;
  /** Runs around each invocation (the fault matrix traces which calls the detector made). */
  readonly around?: <T>(invoke: () => Promise<T>) => Promise<T>;
  /**
   * Modelled ms from a task's event to the detector's handler making its calls (EventBridge's
   * delivery, the Lambda start, the calls before StartExecution); the bench draws it per invocation.
   * @default DETECTOR_INVOCATION_DELAY_MS
   */
  readonly invocationDelayMs?: () => number;
}

/** The detector attached to a world. */
export interface HarnessDetector {
  /** Events the rule delivered (one Lambda invocation each). */
  readonly delivered: readonly StandInEvent[];
  /** What each invocation answered, in the order they finished (an error as `error`). */
  readonly results: readonly (DetectorResult | { readonly outcome: 'error'; readonly message: string; readonly taskId?: undefined })[];
  /** Events whose invocation failed three times (Lambda's two retries): the dead-letter queue. */
  readonly deadLettered: readonly StandInEvent[];
  /** Invocations made (first attempts and retries). */
  readonly invocations: () => number;
  /** Every event of the stand-in's ECS Task State Change stream (matched by the rule or not). */
  readonly taskEvents: () => number;
  /** Waits until every invocation delivered so far has finished. */
  idle(): Promise<void>;
  /** Executions the detector started (by their name's `task-stops-` prefix), oldest first. */
  executions(): readonly ExecutionRecord[];
  /**
   * Advances modelled time from job to job (at most `stepMs` at once), running the detector's due invocations, until
   * `until()` holds or a detector execution started (then waits for it to end), or `withinMs` passed.
   */
  advance(options: { readonly withinMs: number; readonly stepMs?: number; readonly until?: () => boolean }): Promise<void>;
  /** Waits for the first execution the detector started to end; its run. */
  run(): Promise<RollbackRun | undefined>;
  /** Stops delivering events. */
  detach(): void;
}

let instances = 0;

/**
 * Modelled time from a task's event to the detector's handler running: EventBridge's delivery and a
 * Lambda cold start, each at the upper end of its estimate in local/stand-in/aws-timings.ts
 * (conservative for the detection time). The handler's own calls take no modelled time.
 */
export const DETECTOR_INVOCATION_DELAY_MS =
  AWS_TIMINGS.eventBridgeDeliveryMs.value.max + AWS_TIMINGS.lambdaColdInitMs.value.max;

/**
 * Lambda retries a failed asynchronous invocation twice; the waits are AWS's "about one minute, then
 * two" (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html), exact here.
 */
export const LAMBDA_ASYNC_RETRY_DELAYS_MS = [60_000, 120_000] as const;

/** The stop events the detector's rule delivers for the world's services (taskStopPattern). */
export function matchesDetectorRule(world: World, event: StandInEvent): boolean {
  if (event.source !== 'aws.ecs' || event['detail-type'] !== 'ECS Task State Change') return false;
  const detail = event.detail as { clusterArn?: string; group?: string; desiredStatus?: string };
  if (detail.desiredStatus !== 'STOPPED') return false;
  return world.services.some(
    (s) => detail.clusterArn === `arn:aws:ecs:${world.model.region}:${world.model.account}:cluster/${s.cluster}` && detail.group === `service:${s.service}`,
  );
}

/** Attaches the bundled detector to the world (its environment as the CDK app sets it). */
export async function attachDetector(world: World, options: HarnessDetectorOptions = {}): Promise<HarnessDetector> {
  const sfn = stepFunctionsOf(world);
  const env: Record<string, string> = {
    STATE_MACHINE_ARN: sfn.stateMachineArn,
    ...(options.threshold === undefined ? {} : { DETECTOR_THRESHOLD: String(options.threshold) }),
    ...(options.windowMinutes === undefined ? {} : { DETECTOR_WINDOW_MINUTES: String(options.windowMinutes) }),
    DETECTOR_NOTIFY_ONLY: String(options.notifyOnly === true),
  };
  const previous = new Map<string, string | undefined>();
  for (const [name, value] of Object.entries(env)) {
    previous.set(name, process.env[name]);
    process.env[name] = value;
  }
  for (const name of ['DETECTOR_THRESHOLD', 'DETECTOR_WINDOW_MINUTES']) {
    if (env[name] === undefined) {
      previous.set(name, process.env[name]);
      delete process.env[name];
    }
  }
  instances += 1;
  const handler = await importDetector(world.bundles, `detector-${instances}`);
  const delivered: StandInEvent[] = [];
  const results: HarnessDetector['results'][number][] = [];
  const pending = new Set<Promise<void>>();
  const deadLettered: StandInEvent[] = [];
  const queued: { readonly event: StandInEvent; readonly attempt: number; readonly dueAt: number }[] = [];
  let invocations = 0;
  let taskEvents = 0;
  let attached = true;

  const around = options.around ?? (<T>(run: () => Promise<T>) => run());
  const invoke = (event: StandInEvent, attempt: number) => {
    invocations += 1;
    const crash = options.crash?.(event, attempt);
    const context = { awsRequestId: `detector-${invocations}` } as never;
    const invocation = around(async () => {
      if (crash === 'before') throw lambdaCrash('DetectTaskStops');
      const result = await handler(event, context);
      if (crash === 'after') throw lambdaCrash('DetectTaskStops');
      return result;
    }).then(
      (result) => {
        results.push(result as DetectorResult);
      },
      (error: unknown) => {
        results.push({ outcome: 'error', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
        if (attempt < LAMBDA_ASYNC_RETRY_DELAYS_MS.length) {
          queued.push({ event, attempt: attempt + 1, dueAt: world.now() + (LAMBDA_ASYNC_RETRY_DELAYS_MS[attempt] ?? 0) });
        } else {
          deadLettered.push(event);
        }
      },
    );
    pending.add(invocation);
    void invocation.finally(() => pending.delete(invocation));
  };
  const runDue = () => {
    for (const due of queued.filter((q) => q.dueAt <= world.now())) {
      queued.splice(queued.indexOf(due), 1);
      invoke(due.event, due.attempt);
    }
  };

  const stop = world.standIn.onEvent((event) => {
    if (!attached) return;
    if (event['detail-type'] === 'ECS Task State Change') taskEvents += 1;
    if (!matchesDetectorRule(world, event)) return;
    delivered.push(event);
    queued.push({ event, attempt: 0, dueAt: world.now() + (options.invocationDelayMs?.() ?? DETECTOR_INVOCATION_DELAY_MS) });
  });

  const detach = () => {
    if (!attached) return;
    attached = false;
    stop();
    for (const [name, value] of previous) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  world.addCleanup(detach);

  const idle = async () => {
    while (pending.size > 0) await Promise.allSettled([...pending]);
  };
  const executions = () => sfn.all().filter((record) => record.name.startsWith('task-stops-'));

  return {
    delivered,
    results,
    deadLettered,
    invocations: () => invocations,
    taskEvents: () => taskEvents,
    idle,
    executions,
    async advance({ withinMs, stepMs = 60_000, until }) {
      const started = executions().length;
      const deadline = world.now() + withinMs;
      while (world.now() < deadline) {
        // To the next model job or due invocation (nothing happens in between), at most stepMs.
        const next = Math.min(world.model.nextJobAt() ?? Number.POSITIVE_INFINITY, ...queued.map((q) => q.dueAt), world.now() + stepMs, deadline);
        world.advance(Math.max(1, next - world.now()));
        runDue();
        await idle();
        if (executions().length > started) {
          await sfn.settle();
          await idle();
          return;
        }
        if (until?.() === true) return;
      }
    },
    async run() {
      const record = executions()[0];
      if (record === undefined) return undefined;
      await record.done;
      await idle();
      return record.run;
    },
    detach,
  };
}
