/**
 * Step Functions on the stand-in (AWS JSON 1.0, X-Amz-Target `AWSStepFunctions.*`): the rollback
 * state machine of the world, whose executions run the real ASL with the bundled functions, as
 * the harness runs them. Served: StartExecution, DescribeExecution, GetExecutionHistory,
 * ListExecutions, StopExecution, ListStateMachines, DescribeStateMachine, ListTagsForResource.
 *
 * API semantics from the Step Functions API reference
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html and the
 * pages of the other operations): a Standard workflow's execution name is unique per state machine
 * (a StartExecution with the name and input of a running execution returns that execution; any
 * other reuse is ExecutionAlreadyExists); ListExecutions lists newest first; history events carry
 * ids in order and the previous event's id.
 */
import type { LocalHistoryEvent } from '../../statemachine/local';
import { ApiError, type JsonService } from '../stand-in/index';
import type { RollbackRun, RunRollbackOptions } from './run';
import type { World } from './world';

/** X-Amz-Target prefix of Step Functions. */
export const SFN_TARGET_PREFIX = 'AWSStepFunctions';

/** An execution registered with the stand-in, and the hooks that keep its record up to date. */
export interface TrackedExecution {
  readonly record: ExecutionRecord;
  readonly onHistoryEvent: (event: LocalHistoryEvent) => void;
  readonly end: (run: RollbackRun) => void;
}

/** Runs one execution in the world (runRollback). */
export type ExecutionRunner = (input: unknown, options: RunRollbackOptions) => Promise<RollbackRun>;

/** An execution's status as Step Functions reports it. */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

interface HistoryEvent {
  readonly id: number;
  readonly previousEventId: number;
  readonly timestamp: number;
  readonly type: string;
  readonly [details: string]: unknown;
}

/** One execution the stand-in knows. */
export interface ExecutionRecord {
  readonly executionArn: string;
  readonly name: string;
  /** The input as given (JSON text). */
  readonly input: string;
  readonly startDate: number;
  status: ExecutionStatus;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  readonly history: HistoryEvent[];
  readonly controller: AbortController;
  /** Settles when the execution has ended. */
  done: Promise<void>;
  /** The harness's record of the run, once it ended. */
  run?: RollbackRun;
}

const STATE_TYPES: Record<string, string> = {
  Task: 'Task',
  Choice: 'Choice',
  Pass: 'Pass',
  Wait: 'Wait',
  Fail: 'Fail',
  Succeed: 'Succeed',
  Parallel: 'Parallel',
  Map: 'Map',
};

function text(value: unknown): string {
  return JSON.stringify(value ?? null);
}

function requireString(input: Record<string, unknown>, member: string): string {
  const value = input[member];
  if (typeof value !== 'string' || value === '') throw new ApiError('ValidationException', `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`);
  return value;
}

/** The rollback state machine of a world, served as Step Functions. */
export class StepFunctionsStandIn implements JsonService {
  public readonly name = 'SFN' as const;
  public readonly stateMachineName: string;
  public readonly stateMachineArn: string;
  /** The state machine's tags (ListTagsForResource), e.g. those CloudFormation and the construct add. */
  public readonly tags = new Map<string, string>();
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly creationDate: number;
  private names = 0;

  public constructor(
    private readonly world: World,
    private readonly runner: ExecutionRunner,
    options: { stateMachineName: string; definition: string; roleArn: string },
  ) {
    const { account, region } = world.model;
    this.stateMachineName = options.stateMachineName;
    this.stateMachineArn = `arn:aws:states:${region}:${account}:stateMachine:${options.stateMachineName}`;
    this.creationDate = world.now();
    this.definition = options.definition;
    this.roleArn = options.roleArn;
  }

  private readonly definition: string;
  private readonly roleArn: string;
  /** Options every execution StartExecution starts runs with (e.g. the demo's live timeline). */
  public runOptions: Pick<RunRollbackOptions, 'onPhase' | 'onHistoryEvent' | 'latency' | 'crashes'> = {};

  /** The ARN an execution of this name has. */
  public executionArnFor(name: string): string {
    return `arn:aws:states:${this.world.model.region}:${this.world.model.account}:execution:${this.stateMachineName}:${name}`;
  }

  /** Every execution, oldest first. */
  public all(): readonly ExecutionRecord[] {
    return [...this.executions.values()];
  }

  /** The execution of this ARN, if known. */
  public get(executionArn: string): ExecutionRecord | undefined {
    return this.executions.get(executionArn);
  }

  /** Waits until every execution started so far has ended. */
  public async settle(): Promise<void> {
    await Promise.all(this.all().map((record) => record.done));
  }

  /**
   * Registers an execution that the harness runs (runRollback) so DescribeExecution and the
   * history know it; returns the hooks that keep the record up to date.
   */
  public track(name: string, input: unknown): TrackedExecution {
    const executionArn = this.executionArnFor(name);
    const record: ExecutionRecord = {
      executionArn,
      name,
      input: typeof input === 'string' ? input : text(input),
      startDate: this.world.now(),
      status: 'RUNNING',
      history: [],
      controller: new AbortController(),
      done: Promise.resolve(),
    };
    this.executions.set(executionArn, record);
    this.append(record, 'ExecutionStarted', { executionStartedEventDetails: { input: record.input, roleArn: this.roleArn } });
    return {
      record,
      onHistoryEvent: (event) => this.onHistoryEvent(record, event),
      end: (run) => this.end(record, run),
    };
  }

  /** Answers one Step Functions operation. */
  public handle(operation: string, input: Record<string, unknown>): unknown {
    switch (operation) {
      case 'StartExecution':
        return this.startExecution(input);
      case 'DescribeExecution':
        return this.describeExecution(this.find(requireString(input, 'executionArn')));
      case 'GetExecutionHistory':
        return this.getExecutionHistory(input);
      case 'ListExecutions':
        return this.listExecutions(input);
      case 'StopExecution':
        return this.stopExecution(input);
      case 'ListStateMachines':
        return { stateMachines: [{ stateMachineArn: this.stateMachineArn, name: this.stateMachineName, type: 'STANDARD', creationDate: this.creationDate / 1000 }] };
      case 'ListTagsForResource':
        this.machine(requireString(input, 'resourceArn'));
        return { tags: [...this.tags].map(([key, value]) => ({ key, value })) };
      case 'DescribeStateMachine':
        this.machine(requireString(input, 'stateMachineArn'));
        return {
          stateMachineArn: this.stateMachineArn,
          name: this.stateMachineName,
          status: 'ACTIVE',
          definition: this.definition,
          roleArn: this.roleArn,
          type: 'STANDARD',
          creationDate: this.creationDate / 1000,
        };
      default:
        throw new ApiError('UnknownOperationException', `stand-in does not implement SFN ${operation}`);
    }
  }

  private machine(stateMachineArn: string): void {
    if (stateMachineArn !== this.stateMachineArn) throw new ApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
  }

  private find(executionArn: string): ExecutionRecord {
    const record = this.executions.get(executionArn);
    if (record === undefined) throw new ApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return record;
  }

  private startExecution(input: Record<string, unknown>): unknown {
    this.machine(requireString(input, 'stateMachineArn'));
    const raw = typeof input['input'] === 'string' ? input['input'] : '{}';
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new ApiError('InvalidExecutionInput', 'Invalid State Machine Execution Input: the input is not valid JSON');
    }
    this.names += 1;
    const name = typeof input['name'] === 'string' ? input['name'] : `stand-in-${String(this.names).padStart(6, '0')}`;
    const existing = this.executions.get(this.executionArnFor(name));
    if (existing !== undefined) {
      if (existing.status === 'RUNNING' && existing.input === raw) return { executionArn: existing.executionArn, startDate: existing.startDate / 1000 };
      throw new ApiError('ExecutionAlreadyExists', `Execution Already Exists: '${existing.executionArn}'`);
    }
    const tracked = this.track(name, raw);
    tracked.record.done = this.runner(parsed, {
      ...this.runOptions,
      executionName: name,
      stateMachineName: this.stateMachineName,
      signal: tracked.record.controller.signal,
      tracked,
    }).then(
      () => undefined,
      (error: unknown) => {
        if (tracked.record.status === 'RUNNING') {
          tracked.record.status = 'FAILED';
          tracked.record.error = 'States.Runtime';
          tracked.record.cause = String(error);
          tracked.record.stopDate = this.world.now();
          this.append(tracked.record, 'ExecutionFailed', { executionFailedEventDetails: { error: 'States.Runtime', cause: String(error) } });
        }
      },
    );
    return { executionArn: tracked.record.executionArn, startDate: tracked.record.startDate / 1000 };
  }

  private describeExecution(record: ExecutionRecord): unknown {
    return {
      executionArn: record.executionArn,
      stateMachineArn: this.stateMachineArn,
      name: record.name,
      status: record.status,
      startDate: record.startDate / 1000,
      input: record.input,
      ...(record.stopDate === undefined ? {} : { stopDate: record.stopDate / 1000 }),
      ...(record.output === undefined ? {} : { output: record.output }),
      ...(record.error === undefined ? {} : { error: record.error }),
      ...(record.cause === undefined ? {} : { cause: record.cause }),
    };
  }

  private getExecutionHistory(input: Record<string, unknown>): unknown {
    const record = this.find(requireString(input, 'executionArn'));
    const events = input['reverseOrder'] === true ? [...record.history].reverse() : record.history;
    const maxResults = typeof input['maxResults'] === 'number' && input['maxResults'] > 0 ? Math.min(input['maxResults'], 1000) : 1000;
    const from = typeof input['nextToken'] === 'string' ? Number(input['nextToken']) : 0;
    const page = events.slice(from, from + maxResults);
    const withData = input['includeExecutionData'] !== false;
    const shown = withData ? page : page.map((event) => this.withoutData(event));
    return { events: shown, ...(from + maxResults < events.length ? { nextToken: String(from + maxResults) } : {}) };
  }

  private withoutData(event: HistoryEvent): HistoryEvent {
    const copy: Record<string, unknown> = { ...event };
    for (const [key, value] of Object.entries(event)) {
      if (key.endsWith('EventDetails') && value !== null && typeof value === 'object') {
        const { input: _input, output: _output, ...rest } = value as Record<string, unknown>;
        copy[key] = rest;
      }
    }
    return copy as HistoryEvent;
  }

  private listExecutions(input: Record<string, unknown>): unknown {
    this.machine(requireString(input, 'stateMachineArn'));
    const filter = typeof input['statusFilter'] === 'string' ? input['statusFilter'] : undefined;
    const matching = this.all()
      .filter((record) => filter === undefined || record.status === filter)
      .reverse();
    const maxResults = typeof input['maxResults'] === 'number' && input['maxResults'] > 0 ? Math.min(input['maxResults'], 1000) : 100;
    const from = typeof input['nextToken'] === 'string' ? Number(input['nextToken']) : 0;
    return {
      executions: matching.slice(from, from + maxResults).map((record) => ({
        executionArn: record.executionArn,
        stateMachineArn: this.stateMachineArn,
        name: record.name,
        status: record.status,
        startDate: record.startDate / 1000,
        ...(record.stopDate === undefined ? {} : { stopDate: record.stopDate / 1000 }),
      })),
      ...(from + maxResults < matching.length ? { nextToken: String(from + maxResults) } : {}),
    };
  }

  private stopExecution(input: Record<string, unknown>): unknown {
    const record = this.find(requireString(input, 'executionArn'));
    if (record.status === 'RUNNING') {
      record.error = typeof input['error'] === 'string' ? input['error'] : undefined;
      record.cause = typeof input['cause'] === 'string' ? input['cause'] : undefined;
      record.controller.abort();
    }
    return { stopDate: (record.stopDate ?? this.world.now()) / 1000 };
  }

  private append(record: ExecutionRecord, type: string, details: Record<string, unknown> = {}): void {
    const id = record.history.length + 1;
    record.history.push({ id, previousEventId: id - 1, timestamp: this.world.now() / 1000, type, ...details });
  }

  private onHistoryEvent(record: ExecutionRecord, event: LocalHistoryEvent): void {
    switch (event.type) {
      case 'StateEntered':
        this.append(record, `${STATE_TYPES[event.stateType] ?? 'Task'}StateEntered`, { stateEnteredEventDetails: { name: event.stateName, input: text(event.input) } });
        return;
      case 'StateExited':
        if (event.stateType === 'Fail') return;
        this.append(record, `${STATE_TYPES[event.stateType] ?? 'Task'}StateExited`, { stateExitedEventDetails: { name: event.stateName, output: text(event.output) } });
        return;
      default:
        return;
    }
  }

  private end(record: ExecutionRecord, run: RollbackRun): void {
    const { result } = run;
    record.run = run;
    record.stopDate = this.world.now();
    if (result.status === 'SUCCEEDED') {
      record.status = 'SUCCEEDED';
      record.output = text(result.output);
      this.append(record, 'ExecutionSucceeded', { executionSucceededEventDetails: { output: record.output } });
    } else if (result.status === 'ABORTED') {
      record.status = 'ABORTED';
      this.append(record, 'ExecutionAborted', {
        executionAbortedEventDetails: { ...(record.error === undefined ? {} : { error: record.error }), ...(record.cause === undefined ? {} : { cause: record.cause }) },
      });
    } else {
      record.status = 'FAILED';
      record.error = result.error?.Error;
      record.cause = result.error?.Cause;
      this.append(record, 'ExecutionFailed', {
        executionFailedEventDetails: { ...(record.error === undefined ? {} : { error: record.error }), ...(record.cause === undefined ? {} : { cause: record.cause }) },
      });
    }
  }
}
