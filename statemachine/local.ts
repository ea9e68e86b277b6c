/**
 * Executes statemachine/rollback.asl.json locally (aws-local-stepfunctions) with real handler
 * code in place of the Lambda functions: the same definition that is deployed, with the same
 * Retry/Catch. Used by the state-machine tests, the end-to-end scenarios, the demo and the bench.
 */
import type { Context } from 'aws-lambda';
import { StateMachine } from 'aws-local-stepfunctions';
import type { RollbackState } from '../lambdas/shared/types';
import {
  type DefinitionSettings,
  renderDefinition,
  substitutionsFor,
  TASK_FUNCTIONS,
  type TaskFunctionId,
  taskStateFunctions,
} from './definition';

/** A Lambda handler as the state machine calls it. */
export type TaskHandler = (event: unknown, context: Context) => Promise<unknown>;

export interface LocalRunOptions {
  /** The execution input: a raw EventBridge event or a manual start. */
  readonly input: unknown;
  /** The code behind each function of the definition. */
  readonly handlers: Record<TaskFunctionId, TaskHandler>;
  readonly settings?: DefinitionSettings;
  /** Execution name; the execution ARN is derived from it. */
  readonly executionName?: string;
  /**
   * Sleeps a Retry's backoff in modelled time: called before a Task state runs again after a failure
   * its Retry caught, with the interval the Retry gives that attempt (IntervalSeconds × BackoffRate^n,
   * capped by MaxDelaySeconds, FULL jitter from a generator seeded by the execution name). Without
   * it, retries follow at once (the engine's intervals are overridden to 0 real ms).
   */
  readonly retrySleep?: (stateName: string, ms: number) => Promise<void>;
  /** Runs before each Task state calls its handler, e.g. to advance a modelled clock. */
  readonly beforeTask?: (stateName: string, input: RollbackState) => Promise<void> | void;
  /** Real milliseconds each Wait state sleeps (default 0: a modelled clock stands for the wait). */
  readonly waitMs?: number;
  /** Abort the execution after this many state transitions (a loop guard for tests). */
  readonly maxTransitions?: number;
  /** Called for every state entered, as it happens. */
  readonly onStateEntered?: (stateName: string, input: unknown) => void;
  /** Called for every step of the execution, as Step Functions would write it to the history. */
  readonly onHistoryEvent?: (event: LocalHistoryEvent) => void;
  /** Stops the execution (StopExecution): it ends ABORTED. */
  readonly signal?: AbortSignal;
  /** Name of the state machine in the execution ARN. @default 'ecs-auto-rollback' */
  readonly stateMachineName?: string;
  /**
   * TimeoutSeconds of these Task states in place of the definition's (real seconds: the engine
   * times a Task with a real timer), so that a test sees a real `States.Timeout` without waiting 60 s.
   */
  readonly taskTimeoutSeconds?: Readonly<Record<string, number>>;
}

/** One step of a local execution, in the terms of the Step Functions execution history. */
export type LocalHistoryEvent =
  | { readonly type: 'StateEntered'; readonly stateName: string; readonly stateType: string; readonly input: unknown }
  | { readonly type: 'StateExited'; readonly stateName: string; readonly stateType: string; readonly output: unknown }
  | { readonly type: 'StateRetried' | 'StateCaught'; readonly stateName: string; readonly stateType: string }
  | { readonly type: 'ExecutionFailed'; readonly error: string; readonly cause: string };

export interface LocalRunResult {
  readonly status: 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  readonly executionArn: string;
  /** The final state on success. */
  readonly output?: RollbackState;
  /** Error and cause of a failed execution (the Fail state's ErrorPath/CausePath). */
  readonly error?: { readonly Error: string; readonly Cause: string };
  /** Names of the states entered, in order. */
  readonly statesEntered: readonly string[];
  /** One entry per Retry taken: the state's name. */
  readonly retried: readonly string[];
  /** One entry per Catch taken: the state's name. */
  readonly caught: readonly string[];
  /** State transitions as Step Functions bills them (one per state entered). */
  readonly transitions: number;
}

/** Default settings for local runs: AWS-like polling, a 15-minute stabilisation timeout. */
export const LOCAL_SETTINGS: DefinitionSettings = { pollIntervalSeconds: 15, stabilizationTimeoutSeconds: 900 };

const LOCAL_ACCOUNT = '111122223333';
const LOCAL_REGION = 'us-east-1';

function functionArn(id: TaskFunctionId): string {
  return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:ecs-auto-rollback-${TASK_FUNCTIONS[id].dir}`;
}

function lambdaContext(functionName: string, requestId: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * A thrown error as Step Functions reports a Lambda error: Error = the error's name,
 * Cause = JSON {errorType, errorMessage, trace}.
 */
function asLambdaError(error: unknown): Error {
  const e = error instanceof Error ? error : new Error(String(error));
  const reported = new Error(JSON.stringify({ errorType: e.name, errorMessage: e.message, trace: [] }));
  reported.name = e.name;
  return reported;
}

/** A Retry rule of the definition. */
interface Retrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds?: number;
  readonly BackoffRate?: number;
  readonly MaxDelaySeconds?: number;
  readonly JitterStrategy?: 'FULL' | 'NONE';
}

/** The backoff Step Functions waits before retry number `attempt` (1-based) of an error, in ms. */
export function retryDelayMs(retry: readonly Retrier[], errorName: string, attempt: number, random: () => number = Math.random): number {
  const rule = retry.find((r) => r.ErrorEquals.includes(errorName) || r.ErrorEquals.includes('States.ALL'));
  if (rule === undefined) return 0;
  const base = (rule.IntervalSeconds ?? 1) * (rule.BackoffRate ?? 2) ** (attempt - 1);
  const capped = rule.MaxDelaySeconds === undefined ? base : Math.min(base, rule.MaxDelaySeconds);
  return Math.round((rule.JitterStrategy === 'FULL' ? random() * capped : capped) * 1000);
}

/** A small deterministic generator (mulberry32) seeded from a string. */
function seededRandom(seed: string): () => number {
  let state = [...seed].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619), 2166136261) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs one execution to its end and reports the path taken. */
export async function runLocally(options: LocalRunOptions): Promise<LocalRunResult> {
  const settings = options.settings ?? LOCAL_SETTINGS;
  const arns = Object.fromEntries(
    (Object.keys(TASK_FUNCTIONS) as TaskFunctionId[]).map((id) => [id, functionArn(id)]),
  ) as Record<TaskFunctionId, string>;
  const substitutions = substitutionsFor(arns, settings);
  const definition = renderDefinition(substitutions);
  const taskStates = (definition as { States: Record<string, { TimeoutSeconds?: number }> }).States;
  for (const [stateName, seconds] of Object.entries(options.taskTimeoutSeconds ?? {})) {
    const state = taskStates[stateName];
    if (state === undefined) throw new Error(`runLocally: no state ${stateName} to time out`);
    state.TimeoutSeconds = seconds;
  }
  const functionsByState = taskStateFunctions(definition, substitutions);
  const executionName = options.executionName ?? `local-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  const executionArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:${options.stateMachineName ?? 'ecs-auto-rollback'}:${executionName}`;

  let invocations = 0;
  const retriers = (definition as { States: Record<string, { Retry?: Retrier[] }> }).States;
  const failures = new Map<string, { name: string; attempts: number }>();
  const random = seededRandom(executionName);
  const taskResourceLocalHandlers = Object.fromEntries(
    Object.entries(functionsByState).map(([stateName, id]) => [
      stateName,
      async (input: unknown) => {
        const failed = failures.get(stateName);
        if (failed !== undefined && options.retrySleep !== undefined) {
          const ms = retryDelayMs(retriers[stateName]?.Retry ?? [], failed.name, failed.attempts, random);
          if (ms > 0) await options.retrySleep(stateName, ms);
        }
        await options.beforeTask?.(stateName, input as RollbackState);
        invocations += 1;
        try {
          const functionName = `ecs-auto-rollback-${TASK_FUNCTIONS[id].dir}`;
          const result = (await options.handlers[id](input, lambdaContext(functionName, `local-${invocations}`))) as never;
          failures.delete(stateName);
          return result;
        } catch (error) {
          const reported = asLambdaError(error);
          failures.set(stateName, { name: reported.name, attempts: (failures.get(stateName)?.attempts ?? 0) + 1 });
          throw reported;
        }
      },
    ]),
  );
  const states = Object.entries((definition as { States: Record<string, { Type: string; Retry?: unknown }> }).States);
  const waitTimeOverrides = Object.fromEntries(
    states.filter(([, s]) => s.Type === 'Wait').map(([name]) => [name, options.waitMs ?? 0]),
  );
  const retryIntervalOverrides = Object.fromEntries(states.filter(([, s]) => s.Retry).map(([name]) => [name, 0]));

  const machine = new StateMachine(definition as never, { validationOptions: { checkArn: false } });
  const execution = machine.run(options.input as never, {
    overrides: { taskResourceLocalHandlers, waitTimeOverrides, retryIntervalOverrides },
    noThrowOnAbort: true,
    context: { Execution: { Id: executionArn, Name: executionName } },
  });

  const statesEntered: string[] = [];
  const retried: string[] = [];
  const caught: string[] = [];
  let error: LocalRunResult['error'];
  const maxTransitions = options.maxTransitions ?? 500;
  let aborted = false;
  const stop = () => {
    if (!aborted) {
      aborted = true;
      execution.abort();
    }
  };
  if (options.signal?.aborted === true) stop();
  options.signal?.addEventListener('abort', stop, { once: true });
  const consumeLogs = (async () => {
    for await (const event of execution.eventLogs) {
      if ('state' in event) {
        const { name: stateName, type: stateType } = event.state;
        if (event.type === 'StateEntered') options.onHistoryEvent?.({ type: 'StateEntered', stateName, stateType, input: event.state.input });
        else if (event.type === 'StateExited') options.onHistoryEvent?.({ type: 'StateExited', stateName, stateType, output: event.state.output });
        else if (event.type === 'StateRetried' || event.type === 'StateCaught') options.onHistoryEvent?.({ type: event.type, stateName, stateType });
      }
      if (event.type === 'StateEntered') {
        statesEntered.push(event.state.name);
        options.onStateEntered?.(event.state.name, event.state.input);
        if (statesEntered.length > maxTransitions) stop();
      } else if (event.type === 'StateRetried') {
        retried.push(event.state.name);
      } else if (event.type === 'StateCaught') {
        caught.push(event.state.name);
      } else if (event.type === 'ExecutionFailed') {
        error = { Error: event.Error, Cause: String(event.Cause) };
        options.onHistoryEvent?.({ type: 'ExecutionFailed', error: error.Error, cause: error.Cause });
      }
    }
  })();

  let output: unknown;
  let failed = false;
  try {
    output = await execution.result;
  } catch (e) {
    failed = true;
    const cause = (e as { cause?: { name?: string; message?: string } }).cause;
    error ??= { Error: cause?.name ?? (e as Error).name, Cause: cause?.message ?? (e as Error).message };
  }
  await consumeLogs;
  options.signal?.removeEventListener('abort', stop);
  const status = aborted || output === null ? 'ABORTED' : failed ? 'FAILED' : 'SUCCEEDED';
  return {
    status,
    executionArn,
    ...(status === 'SUCCEEDED' ? { output: output as RollbackState } : {}),
    ...(error !== undefined && status === 'FAILED' ? { error } : {}),
    statesEntered,
    retried,
    caught,
    transitions: statesEntered.length,
  };
}
