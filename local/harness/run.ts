/**
 * One execution of the real ASL in a world: runLocally with the bundled handlers, the modelled
 * clock bridged in beforeTask (each Wait and a Lambda latency per Task), and a per-state
 * timeline (modelled time since the trigger, real time, the AWS calls made in that state).
 */
import { readDefinitionText, type TaskFunctionId } from '../../statemachine/definition';
import { type LocalRunOptions, type LocalRunResult, runLocally, type TaskHandler } from '../../statemachine/local';
import type {
  DeploymentRef,
  HealthResult,
  NotificationResult,
  Registration,
  RollbackRequest,
  RollbackState,
  StabilityResult,
  TargetResolution,
} from '../../lambdas/shared/types';
import type { CallRecord, PublishedMessage } from '../stand-in/index';
import { StepFunctionsStandIn, SFN_TARGET_PREFIX, type TrackedExecution } from './step-functions';
import { MODELLED_LAMBDA_LATENCY_MS, PROJECT, type World } from './world';

/** The kind of an ASL state. */
export type StateType = 'Task' | 'Pass' | 'Choice' | 'Wait' | 'Succeed' | 'Fail' | 'Parallel' | 'Map';

/** One AWS call, as the timeline shows it. */
export interface PhaseCall {
  readonly service: string;
  readonly operation: string;
  readonly status: number;
  readonly errorCode?: string;
}

/** One state of the execution, as it happened. */
export interface Phase {
  /** 1, 2, 3, ... in the order entered. */
  readonly index: number;
  readonly state: string;
  readonly type: StateType;
  /** Modelled milliseconds from the trigger to entering the state. */
  readonly atModelMs: number;
  /** Modelled milliseconds spent in the state. */
  readonly modelMs: number;
  /** Real milliseconds spent in the state. */
  readonly realMs: number;
  /** Handler invocations (more than one when the ASL retried it). */
  readonly attempts: number;
  /** What the step decided or saw, in one line. */
  readonly note?: string;
  /** The error the step's last attempt threw ("Name: message"). */
  readonly error?: string;
  readonly calls: readonly PhaseCall[];
}

/** Options of {@link runRollback}. */
export interface RunRollbackOptions {
  /** Execution name (the execution ARN ends with it). @default a unique name */
  readonly executionName?: string;
  /** Modelled time of the trigger, epoch ms. @default the input's EventBridge `time`, else now */
  readonly triggerTime?: number;
  /** Called once per state as soon as its timeline entry is final (for live output). */
  readonly onPhase?: (phase: Phase) => void;
  /** Abort after this many state transitions. @default 300 */
  readonly maxTransitions?: number;
  /** Each step as Step Functions would write it to the execution history. */
  readonly onHistoryEvent?: LocalRunOptions['onHistoryEvent'];
  /** Stops the execution (it ends ABORTED). */
  readonly signal?: AbortSignal;
  /** Name of the state machine in the execution ARN. @default the world's (riderapp-ecs-auto-rollback) */
  readonly stateMachineName?: string;
  /** The record StartExecution made for this run; without it, the run registers itself with the world's Step Functions. */
  readonly tracked?: TrackedExecution;
  /**
   * Modelled time of each Lambda invocation (cold or warm) and of each AWS call it made. @default
   * MODELLED_LAMBDA_LATENCY_MS per invocation, nothing per call
   */
  readonly latency?: InvocationLatency;
  /** Lambda crashes to stage: the function fails as Lambda reports a crashed runtime, before or after its work. */
  readonly crashes?: readonly CrashSpec[];
}

/** A Lambda function of the stack: a Task of the state machine, or the task-stop detector. */
export type LambdaFunctionId = TaskFunctionId | 'DetectTaskStops';

/** Modelled durations of invocations and of the AWS calls they make (the bench draws them from AWS_TIMINGS). */
export interface InvocationLatency {
  /** Modelled ms from the invocation to the handler running (cold start or warm overhead), at modelled time `now`. */
  invocationMs(id: LambdaFunctionId, now: number): number;
  /** Modelled ms one AWS call takes. */
  apiCallMs(): number;
}

/** A crash of one task function, as Lambda reports it (the error's name is what the ASL's Retry/Catch match). */
export interface CrashSpec {
  readonly task: TaskFunctionId;
  /** "before": the handler never runs; "after": it ran (its side effects happened) and its result is lost. */
  readonly when: 'before' | 'after';
  /** How many invocations crash. @default 1 */
  readonly times?: number;
  /** @default 'Runtime.ExitError' */
  readonly errorName?: string;
}

/** The error Lambda reports for a runtime that exited. */
export function lambdaCrash(task: TaskFunctionId | 'DetectTaskStops', errorName = 'Runtime.ExitError'): Error {
  const error = new Error(`RequestId: local Error: Runtime exited with error: exit status 1 (staged crash of ${task})`);
  error.name = errorName;
  return error;
}

/** What one execution did. */
export interface RollbackRun {
  readonly result: LocalRunResult;
  readonly timeline: readonly Phase[];
  /** The SNS messages this execution's Notify published. */
  readonly notifications: readonly PublishedMessage[];
  /** Stand-in calls made while the run was going (a concurrent run's calls included). */
  readonly calls: readonly CallRecord[];
  readonly triggerTime: number;
  /** Modelled milliseconds from the trigger to the end of the execution. */
  readonly modelMs: number;
  /** Real milliseconds the execution took. */
  readonly realMs: number;
}

interface OpenPhase {
  index: number;
  state: string;
  type: StateType;
  startModel: number;
  startReal: number;
  endModel?: number;
  endReal?: number;
  callsFrom: number;
  callsTo?: number;
  attempts: number;
  note?: string;
  error?: string;
}

let stateTypes: Readonly<Record<string, StateType>> | undefined;

function typeOf(state: string): StateType {
  stateTypes ??= Object.fromEntries(
    Object.entries((JSON.parse(readDefinitionText()) as { States: Record<string, { Type: StateType }> }).States).map(([name, s]) => [name, s.Type]),
  );
  return stateTypes[state] ?? 'Pass';
}

/** `riderapp:14` from a task definition ARN (or the input as is). */
export function shortTaskDefinition(arnOrLabel: string | undefined): string {
  if (arnOrLabel === undefined) return '?';
  const slash = arnOrLabel.lastIndexOf('task-definition/');
  return slash >= 0 ? arnOrLabel.slice(slash + 'task-definition/'.length) : arnOrLabel;
}

/** `riderapp-tg` from a target group ARN; other subjects as they are. */
function shortSubject(subject: string): string {
  const match = /:targetgroup\/([^/]+)\//.exec(subject);
  return match?.[1] ?? subject;
}

/** One line saying what a task function returned. */
export function describeResult(id: TaskFunctionId, result: unknown): string | undefined {
  if (result === null || typeof result !== 'object') return undefined;
  switch (id) {
    case 'Prepare': {
      const r = result as RollbackRequest;
      const what = r.trigger.deploymentId ?? r.trigger.alarmName ?? r.trigger.requestedBy;
      return r.action === 'rollback'
        ? `${r.dryRun ? 'plan a rollback of' : 'roll back'} ${r.service}: ${r.trigger.kind}${what === undefined ? '' : ` (${what})`}${r.lockHeld ? '; lock taken' : ''}`
        : `${r.action} (${r.actionReason ?? 'no reason'}): ${r.actionMessage ?? r.trigger.summary}`;
    }
    case 'ResolveTarget': {
      const r = result as TargetResolution;
      if (r.outcome !== 'rollback') return `skip (${r.reason}): ${r.message}`;
      const to = r.taskDefinitionArn !== undefined ? shortTaskDefinition(r.taskDefinitionArn) : (r.image?.tag ?? r.image?.digest?.slice(0, 19) ?? '?');
      return `${shortTaskDefinition(r.current.arn)} -> ${to} (${r.source})`;
    }
    case 'RegisterTaskDefinition': {
      const r = result as Registration;
      return r.registered ? `registered ${r.family}:${r.revision}` : `reuses ${r.family}:${r.revision} as it is`;
    }
    case 'UpdateService': {
      const r = result as DeploymentRef;
      return `deployment ${r.deploymentId} of ${shortTaskDefinition(r.taskDefinitionArn)} started`;
    }
    case 'CheckStability': {
      const r = result as StabilityResult;
      const targets = r.healthyTargets === undefined ? '' : `, ${r.healthyTargets} healthy targets`;
      const next = r.status === 'IN_PROGRESS' ? `; next look in ${r.waitSeconds} s` : '';
      return `${r.status}: ${r.runningCount}/${r.desiredCount} running${targets}${next}`;
    }
    case 'ProbeHealth': {
      const r = result as HealthResult;
      const checks = r.checks.map((c) => `${c.kind} ${shortSubject(c.subject)}: ${c.detail}`).join('; ');
      return `${r.healthy ? 'healthy' : 'NOT healthy'}${checks === '' ? '' : ` (${checks})`}`;
    }
    case 'Notify': {
      const r = result as NotificationResult;
      return `${r.kind}: "${r.subject}"`;
    }
    case 'ReleaseLock':
      return (result as { released?: boolean }).released ? 'lock released' : 'no lock held';
  }
}

function errorLine(error: unknown): string {
  const e = error instanceof Error ? error : new Error(String(error));
  let message = e.message;
  try {
    const parsed = JSON.parse(message) as { errorMessage?: string };
    if (typeof parsed.errorMessage === 'string') message = parsed.errorMessage;
  } catch {
    // a plain message
  }
  return `${e.name}: ${message}`;
}

function triggerTimeOf(input: unknown, fallback: number): number {
  const time = (input as { time?: unknown } | null)?.time;
  const parsed = typeof time === 'string' ? Date.parse(time) : Number.NaN;
  return Number.isNaN(parsed) ? fallback : parsed;
}

class TimelineRecorder {
  private readonly phases: OpenPhase[] = [];
  private emitted = 0;
  private waitingFor: { readonly state: string; readonly resolve: () => void } | undefined;

  public constructor(
    private readonly world: World,
    private readonly triggerTime: number,
    private readonly onPhase?: (phase: Phase) => void,
    private readonly lambdaLatencyMs = MODELLED_LAMBDA_LATENCY_MS,
  ) {}

  public entered(state: string): void {
    this.open(state);
    const waiting = this.waitingFor;
    if (waiting?.state === state) {
      this.waitingFor = undefined;
      waiting.resolve();
    }
  }

  /**
   * Advances the modelled clock for the Wait just left and for the Lambda's latency. The first
   * attempt of a Task waits until its StateEntered event reached the timeline (the event log is
   * read asynchronously), so phases stay in order.
   */
  public async beforeTask(state: string, input: RollbackState): Promise<void> {
    const last = this.phases.at(-1);
    if (last?.state !== state || last.attempts === 0) await this.enteredState(state);
    const phase = this.phases.at(-1)!;
    const stability = input?.stability;
    if (phase.attempts === 0 && state === 'CheckStability' && stability?.status === 'IN_PROGRESS') {
      this.world.advance(Math.max(0, stability.waitSeconds) * 1000);
      const wait = this.phases.at(-2);
      if (wait?.type === 'Wait') wait.endModel = this.world.now();
      phase.startModel = this.world.now();
    }
    phase.attempts += 1;
    this.world.advance(this.lambdaLatencyMs);
    this.flush();
  }

  private enteredState(state: string): Promise<void> {
    const last = this.phases.at(-1);
    if (last?.state === state && last.attempts === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.waitingFor = { state, resolve };
    });
  }

  /** Message ids of the notifications this run published. */
  public readonly messageIds = new Set<string>();

  public taskDone(id: TaskFunctionId, result: unknown): void {
    if (id === 'Notify') {
      const { messageId, messageIds } = result as NotificationResult & { messageIds?: readonly string[] };
      for (const sent of [messageId, ...(messageIds ?? [])]) if (sent !== undefined) this.messageIds.add(sent);
    }
    const phase = this.phases.at(-1);
    if (phase === undefined) return;
    phase.note = describeResult(id, result);
    phase.error = undefined;
  }

  public taskFailed(error: unknown): void {
    const phase = this.phases.at(-1);
    if (phase !== undefined) phase.error = errorLine(error);
  }

  public finish(): Phase[] {
    this.close(this.phases.at(-1));
    this.flush(true);
    return this.phases.map((p) => this.freeze(p));
  }

  private open(state: string): OpenPhase {
    const previous = this.phases.at(-1);
    this.close(previous);
    const phase: OpenPhase = {
      index: this.phases.length + 1,
      state,
      type: typeOf(state),
      startModel: this.world.now(),
      startReal: performance.now(),
      callsFrom: this.world.standIn.calls.all().length,
      attempts: 0,
    };
    this.phases.push(phase);
    this.flush();
    return phase;
  }

  private close(phase: OpenPhase | undefined): void {
    if (phase === undefined || phase.endReal !== undefined) return;
    phase.endModel = this.world.now();
    phase.endReal = performance.now();
    phase.callsTo = this.world.standIn.calls.all().length;
  }

  /** Hands out finished phases in order; a Wait is finished once the next Task advanced the clock past it. */
  private flush(all = false): void {
    if (this.onPhase === undefined) return;
    while (this.emitted < this.phases.length) {
      const phase = this.phases[this.emitted]!;
      const next = this.phases[this.emitted + 1];
      if (!all && (next === undefined || (phase.type === 'Wait' && next.attempts === 0))) return;
      this.onPhase(this.freeze(phase));
      this.emitted += 1;
    }
  }

  private freeze(p: OpenPhase): Phase {
    const endModel = p.endModel ?? this.world.now();
    const endReal = p.endReal ?? performance.now();
    const calls = this.world.standIn.calls
      .all()
      .slice(p.callsFrom, p.callsTo)
      .map((c) => ({ service: c.service, operation: c.operation, status: c.status, ...(c.errorCode === undefined ? {} : { errorCode: c.errorCode }) }));
    return {
      index: p.index,
      state: p.state,
      type: p.type,
      atModelMs: p.startModel - this.triggerTime,
      modelMs: Math.max(0, endModel - p.startModel),
      realMs: Math.max(0, endReal - p.startReal),
      attempts: p.attempts,
      ...(p.note === undefined ? {} : { note: p.note }),
      ...(p.error === undefined ? {} : { error: p.error }),
      calls,
    };
  }
}

const stepFunctions = new WeakMap<World, StepFunctionsStandIn>();

/**
 * The world's rollback state machine served as Step Functions on its stand-in (StartExecution runs
 * the real ASL with the bundles, as runRollback does); attached on first use.
 */
export function stepFunctionsOf(world: World): StepFunctionsStandIn {
  let sfn = stepFunctions.get(world);
  if (sfn === undefined) {
    // The CDK app names the state machine `<project>-ecs-auto-rollback` (lib/rollback-stack.ts stateMachineName).
    const name = `${PROJECT}-ecs-auto-rollback`;
    sfn = new StepFunctionsStandIn(world, (input, options) => runRollback(world, input, options), {
      stateMachineName: name,
      definition: readDefinitionText(),
      roleArn: `arn:aws:iam::${world.model.account}:role/${name}-state-machine`,
    });
    stepFunctions.set(world, sfn);
    world.standIn.serveJson(SFN_TARGET_PREFIX, sfn);
  }
  return sfn;
}

/** Runs the real ASL once against the world, with its bundled handlers, and records the timeline. */
export async function runRollback(world: World, input: unknown, options: RunRollbackOptions = {}): Promise<RollbackRun> {
  const sfn = stepFunctionsOf(world);
  const executionName = options.executionName ?? `local-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  const tracked = options.tracked ?? sfn.track(executionName, input);
  const startedModel = world.now();
  const startedReal = performance.now();
  const triggerTime = options.triggerTime ?? triggerTimeOf(input, startedModel);
  const callsBefore = world.standIn.calls.all().length;
  const latency = options.latency;
  const recorder = new TimelineRecorder(world, triggerTime, options.onPhase, latency === undefined ? MODELLED_LAMBDA_LATENCY_MS : 0);

  const crashesLeft = (options.crashes ?? []).map((crash) => ({ crash, left: crash.times ?? 1 }));
  const crashNow = (id: TaskFunctionId, when: CrashSpec['when']): Error | undefined => {
    const due = crashesLeft.find((c) => c.crash.task === id && c.crash.when === when && c.left > 0);
    if (due === undefined) return undefined;
    due.left -= 1;
    return lambdaCrash(id, due.crash.errorName);
  };
  const handlers = Object.fromEntries(
    (Object.entries(world.handlers) as [TaskFunctionId, TaskHandler][]).map(([id, handler]) => [
      id,
      async (event: unknown, context: Parameters<TaskHandler>[1]) => {
        try {
          const before = crashNow(id, 'before');
          if (before !== undefined) throw before;
          if (latency !== undefined) world.advance(latency.invocationMs(id, world.now()));
          const callsBefore = world.standIn.calls.all().length;
          const result = await (async () => {
            try {
              return await handler(event, context);
            } finally {
              if (latency !== undefined) {
                const made = world.standIn.calls.all().length - callsBefore;
                let ms = 0;
                for (let i = 0; i < made; i++) ms += latency.apiCallMs();
                world.advance(ms);
              }
            }
          })();
          const after = crashNow(id, 'after');
          if (after !== undefined) throw after;
          recorder.taskDone(id, result);
          return result;
        } catch (error) {
          recorder.taskFailed(error);
          throw error;
        }
      },
    ]),
  ) as Record<TaskFunctionId, TaskHandler>;

  const result = await runLocally({
    input,
    handlers,
    settings: world.settings,
    executionName,
    stateMachineName: options.stateMachineName ?? sfn.stateMachineName,
    signal: options.signal ?? tracked.record.controller.signal,
    onHistoryEvent: (event) => {
      tracked.onHistoryEvent(event);
      options.onHistoryEvent?.(event);
    },
    beforeTask: (state, state_input) => recorder.beforeTask(state, state_input),
    onStateEntered: (state) => recorder.entered(state),
    maxTransitions: options.maxTransitions ?? 300,
  });
  const timeline = recorder.finish();
  const run: RollbackRun = {
    result,
    timeline,
    notifications: world.standIn.published.filter((message) => recorder.messageIds.has(message.messageId)),
    calls: world.standIn.calls.all().slice(callsBefore),
    triggerTime,
    modelMs: world.now() - triggerTime,
    realMs: performance.now() - startedReal,
  };
  tracked.end(run);
  return run;
}
