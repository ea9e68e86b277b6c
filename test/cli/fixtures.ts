import { PassThrough } from 'node:stream';
import { type DescribeExecutionOutput, type HistoryEvent, type HistoryEventType, SFNClient } from '@aws-sdk/client-sfn';
import type { CliIo } from '../../cli/run';
import type { RollbackState } from '../../lambdas/shared/types';

export const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:111122223333:stateMachine:riderapp-ecs-auto-rollback';
export const EXECUTION_NAME = 'manual-riderapp-service-20250304T103000Z-3f9a';
export const EXECUTION_ARN = `arn:aws:states:us-east-1:111122223333:execution:riderapp-ecs-auto-rollback:${EXECUTION_NAME}`;
export const TASK_DEFINITION_ARN = (revision: number): string =>
  `arn:aws:ecs:us-east-1:111122223333:task-definition/riderapp:${revision}`;
const IMAGE = '111122223333.dkr.ecr.us-east-1.amazonaws.com/riderapp';

export const STARTED = new Date('2025-03-04T10:30:00Z');
export const STOPPED = new Date('2025-03-04T10:34:12Z');

/** The state of a manual rollback of riderapp-service from riderapp:15 to riderapp:14 that worked. */
export function succeededState(): RollbackState {
  return {
    input: { cluster: 'riderapp-cluster', service: 'riderapp-service', confirm: 'CONFIRM', requestedBy: 'alice' },
    settings: { pollIntervalSeconds: 15, stabilizationTimeoutSeconds: 900 },
    execution: { id: EXECUTION_ARN, startTime: STARTED.toISOString() },
    request: {
      trigger: { kind: 'manual', id: EXECUTION_ARN, time: STARTED.toISOString(), summary: 'manual rollback by alice', requestedBy: 'alice' },
      region: 'us-east-1',
      account: '111122223333',
      cluster: 'riderapp-cluster',
      service: 'riderapp-service',
      serviceConfig: { cluster: 'riderapp-cluster', service: 'riderapp-service', ecrRepository: 'riderapp', alarmNames: [] },
      dryRun: false,
      rollbackType: 'application',
      action: 'rollback',
      lockHeld: true,
      preparedAt: '2025-03-04T10:30:01Z',
    },
    target: {
      outcome: 'rollback',
      source: 'deployment-history',
      reason: 'PreviousSuccessfulDeployment',
      message: 'riderapp:14 is the last deployment that succeeded before riderapp:15',
      current: { arn: TASK_DEFINITION_ARN(15), family: 'riderapp', revision: 15, images: [{ containerName: 'app', image: `${IMAGE}:v1.5.0` }] },
      taskDefinitionArn: TASK_DEFINITION_ARN(14),
      resolvedAt: '2025-03-04T10:30:02Z',
    },
    registration: {
      taskDefinitionArn: TASK_DEFINITION_ARN(14),
      family: 'riderapp',
      revision: 14,
      registered: false,
      images: [{ containerName: 'app', image: `${IMAGE}:v1.4.2` }],
      registeredAt: '2025-03-04T10:30:03Z',
    },
    deployment: { deploymentId: 'ecs-svc/4520982937154920999', taskDefinitionArn: TASK_DEFINITION_ARN(14), startedAt: '2025-03-04T10:30:04Z' },
    stability: {
      status: 'RECOVERED',
      reason: 'TargetsHealthy',
      message: '2/2 tasks of riderapp:14 running, targets healthy',
      elapsedSeconds: 240,
      waitSeconds: 15,
      desiredCount: 2,
      runningCount: 2,
      healthyTargets: 2,
      checks: 9,
      checkedAt: '2025-03-04T10:34:05Z',
    },
    health: { healthy: true, checks: [], attempts: 1, message: '2/2 targets healthy', checkedAt: '2025-03-04T10:34:08Z' },
    notification: { kind: 'success', subject: 'riderapp-service rolled back', messageId: 'm-1', sentAt: '2025-03-04T10:34:10Z' },
  };
}

/** The same rollback, failed at UpdateService (the state the RollbackFailed state sees). */
export function failedState(): RollbackState {
  const { registration, deployment, stability, health, notification, ...rest } = succeededState();
  return {
    ...rest,
    registration,
    failure: {
      step: 'UpdateService',
      error: 'AwsCallError',
      cause: JSON.stringify({
        errorType: 'AwsCallError',
        errorMessage: 'UpdateService: AccessDeniedException: not authorized to perform ecs:UpdateService',
      }),
    },
    notification: { ...(notification as NonNullable<RollbackState['notification']>), kind: 'failure' },
  };
}

/** What DescribeExecution answers for the failed rollback of {@link failedState}. */
export function failedExecution(): Partial<DescribeExecutionOutput> {
  return {
    executionArn: EXECUTION_ARN,
    name: EXECUTION_NAME,
    status: 'FAILED',
    startDate: STARTED,
    stopDate: STOPPED,
    error: 'AwsCallError',
    cause: failedState().failure?.cause,
  };
}

type Step = readonly [type: string, name?: string, data?: unknown];

/** History events with ids, 1 s apart from STARTED. */
export function historyEvents(steps: readonly Step[]): HistoryEvent[] {
  return steps.map(([type, name, data], index) => {
    const event: HistoryEvent = { id: index + 1, type: type as HistoryEventType, timestamp: new Date(STARTED.getTime() + index * 1000) };
    if (type.endsWith('StateEntered')) {
      return { ...event, stateEnteredEventDetails: { name, input: JSON.stringify(data ?? {}) } };
    }
    if (type.endsWith('StateExited')) {
      return { ...event, stateExitedEventDetails: { name, output: JSON.stringify(data ?? {}) } };
    }
    if (type === 'ExecutionFailed') {
      const failure = (data as RollbackState).failure;
      return { ...event, executionFailedEventDetails: { error: failure?.error, cause: failure?.cause } };
    }
    return event;
  });
}

/** The history up to the stability loop, then the whole successful history. */
export function succeededHistory(): { partial: HistoryEvent[]; full: HistoryEvent[] } {
  const state = succeededState();
  const steps: Step[] = [
    ['ExecutionStarted'],
    ['PassStateEntered', 'LoadSettings'],
    ['TaskStateEntered', 'Prepare'],
    ['TaskStateExited', 'Prepare', { request: state.request }],
    ['TaskStateEntered', 'ResolveTarget'],
    ['TaskStateExited', 'ResolveTarget', { target: state.target }],
    ['TaskStateEntered', 'RegisterTaskDefinition'],
    ['TaskStateEntered', 'UpdateService'],
    ['TaskStateExited', 'UpdateService', { deployment: state.deployment }],
    ['TaskStateEntered', 'CheckStability'],
    ['WaitStateEntered', 'WaitForStability'],
    ['TaskStateEntered', 'CheckStability'],
    ['TaskStateExited', 'CheckStability', { stability: state.stability }],
    ['TaskStateEntered', 'ProbeHealth'],
    ['TaskStateEntered', 'NotifySuccess'],
    ['TaskStateEntered', 'ReleaseLock'],
    ['SucceedStateEntered', 'Done', state],
    ['ExecutionSucceeded'],
  ];
  const full = historyEvents(steps);
  return { partial: full.slice(0, 11), full };
}

/** A history that ends in RollbackFailed after UpdateService failed. */
export function failedHistory(state: RollbackState = failedState()): HistoryEvent[] {
  return historyEvents([
    ['ExecutionStarted'],
    ['TaskStateEntered', 'Prepare'],
    ['TaskStateEntered', 'ResolveTarget'],
    ['TaskStateEntered', 'RegisterTaskDefinition'],
    ['TaskStateEntered', 'UpdateService'],
    ['PassStateEntered', 'FailedAtUpdateService'],
    ['TaskStateEntered', 'NotifyFailure'],
    ['TaskStateEntered', 'ReleaseLock'],
    ['FailStateEntered', 'RollbackFailed', state],
    ['ExecutionFailed', undefined, state],
  ]);
}

/** Collected output of one CLI run. */
export interface Captured {
  readonly io: CliIo;
  readonly stdin: PassThrough & { isTTY?: boolean };
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly regions: (string | undefined)[];
  readonly sleeps: number[];
}

/** An in-process terminal: stdin is a TTY only when asked, stdout/stderr are captured. */
export function captureIo(options: { tty?: boolean; env?: Record<string, string> } = {}): Captured {
  const stdin = new PassThrough() as PassThrough & { isTTY?: boolean };
  if (options.tty === true) stdin.isTTY = true;
  let out = '';
  let err = '';
  const regions: (string | undefined)[] = [];
  const sleeps: number[] = [];
  const io: CliIo = {
    stdin,
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    env: options.env ?? { USER: 'alice' },
    createClient: (region) => {
      regions.push(region);
      return new SFNClient({ region: region ?? 'us-east-1' });
    },
    sleep: async (milliseconds) => {
      sleeps.push(milliseconds);
    },
    now: () => STARTED,
    randomSuffix: () => '3f9a',
  };
  return { io, stdin, stdout: () => out, stderr: () => err, regions, sleeps };
}
