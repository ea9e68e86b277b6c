import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createStateTable, type StateTable } from '../../lambdas/aws/state-table';
import { createTaskStopCounter, type TaskStopCounter } from '../../lambdas/aws/task-stop-counter';
import type { NewestDeployment } from '../../lambdas/core/task-stops';
import { type DetectorDeps, detect, type TaskStopsDetectedEvent } from '../../lambdas/detect-task-stops/detect';
import { type LocalDynamo, startDynalite } from '../helpers/dynalite';
import { CLUSTER, SERVICE, TD, taskStopEvent, V14_DEPLOYMENT, V15_DEPLOYMENT, V15_STARTED_AT } from '../helpers/task-events';

const STATE_MACHINE = 'arn:aws:states:us-east-1:111122223333:stateMachine:riderapp-ecs-auto-rollback';
const NOW = new Date('2025-03-04T10:22:00Z');

let dynamo: LocalDynamo;
let tables = 0;
let counter: TaskStopCounter;
let stateTable: StateTable;
let starts: { name: string; input: TaskStopsDetectedEvent }[];
let newest: NewestDeployment | undefined;

beforeAll(async () => {
  dynamo = await startDynalite();
});

afterAll(async () => {
  await dynamo.close();
});

beforeEach(async () => {
  tables += 1;
  const tableName = await dynamo.createTable(`detector-test-${tables}`);
  counter = createTaskStopCounter({ tableName, client: dynamo.client, now: () => NOW });
  stateTable = createStateTable({ tableName, client: dynamo.client, now: () => NOW });
  starts = [];
  newest = { id: V15_DEPLOYMENT, taskDefinitionArn: TD(15), createdAt: V15_STARTED_AT, rolloutState: 'COMPLETED' };
});

/** The detector wired as the handler wires it, with the state table on dynalite and StartExecution recorded as Step Functions answers it. */
function deps(settings: Partial<DetectorDeps['settings']> = {}): DetectorDeps {
  return {
    settings: { threshold: 2, windowMinutes: 60, notifyOnly: false, ...settings },
    stateMachineArn: STATE_MACHINE,
    newestDeployment: async () => newest,
    findOwnDeployment: (id) => stateTable.findOwnDeployment(id),
    count: (...args) => counter.count(...args),
    markStarted: (...args) => counter.markStarted(...args),
    startExecution: async (name, input) => {
      const executionArn = `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:${name}`;
      const existing = starts.find((s) => s.name === name);
      if (existing !== undefined && JSON.stringify(existing.input) !== input) return { executionArn, alreadyExists: true };
      if (existing === undefined) starts.push({ name, input: JSON.parse(input) as TaskStopsDetectedEvent });
      return { executionArn, alreadyExists: false };
    },
  };
}

describe('task-stop detector on DynamoDB (dynalite)', () => {
  it('starts one rollback of riderapp-service at the second riderapp:15 task failing ELB health checks, naming both tasks', async () => {
    // Act
    const first = await detect(taskStopEvent({ taskId: 'task1' }), deps());
    const second = await detect(taskStopEvent({ taskId: 'task2', stoppingAt: '2025-03-04T10:21:40.000Z' }), deps());

    // Assess
    expect(first).toMatchObject({ outcome: 'counted', count: 1 });
    expect(second).toMatchObject({ outcome: 'started', count: 2 });
    expect(starts).toHaveLength(1);
    expect(starts[0]?.name).toBe('task-stops-riderapp-cluster-riderapp-service-ecs-svc-4520982937154920815');
    expect(starts[0]?.input.detail).toMatchObject({
      cluster: CLUSTER,
      service: SERVICE,
      deploymentId: V15_DEPLOYMENT,
      taskDefinitionArn: TD(15),
      notifyOnly: false,
      stops: [
        { taskId: 'task1', stopCode: 'ServiceSchedulerInitiated', cause: 'elb-health-check' },
        { taskId: 'task2', stopCode: 'ServiceSchedulerInitiated', cause: 'elb-health-check' },
      ],
    });
  });

  it('counts a task once, however often its stopping events arrive (desiredStatus STOPPED, then DEPROVISIONING, STOPPED, redelivered)', async () => {
    // Act
    const results = [];
    for (const lastStatus of ['RUNNING', 'DEPROVISIONING', 'STOPPED', 'STOPPED']) {
      results.push(await detect(taskStopEvent({ taskId: 'task1', lastStatus }), deps()));
    }

    // Assess
    expect(results.map((r) => r.outcome)).toEqual(['counted', 'duplicate', 'duplicate', 'duplicate']);
    expect(results.at(-1)?.count).toBe(1);
    expect(starts).toHaveLength(0);
  });

  it('counts each of ten concurrent deliveries of five tasks once and starts the rollback once', async () => {
    // Act
    const events = ['t1', 't2', 't3', 't4', 't5'].flatMap((taskId) => [taskStopEvent({ taskId }), taskStopEvent({ taskId })]);
    const results = await Promise.all(events.map((e) => detect(e, deps())));

    // Assess
    const final = await counter.count(CLUSTER, SERVICE, V15_DEPLOYMENT, {
      taskId: 't1',
      stopCode: 'ServiceSchedulerInitiated',
      stoppedReason: 'again',
      cause: 'elb-health-check',
      stoppedAt: NOW.toISOString(),
    });
    expect(final).toMatchObject({ counted: false, count: 5 });
    expect(final.evidence.map((e) => e.taskId).sort()).toEqual(['t1', 't2', 't3', 't4', 't5']);
    expect(results.every((r) => ['counted', 'duplicate', 'started', 'already-started'].includes(r.outcome))).toBe(true);
    expect(starts).toHaveLength(1);
    expect(starts[0]?.input.detail.stops).toHaveLength(2);
  });

  it('does not start again after the threshold (the third stop finds the rollback started)', async () => {
    // Act
    for (const taskId of ['t1', 't2']) await detect(taskStopEvent({ taskId }), deps());
    const third = await detect(taskStopEvent({ taskId: 't3' }), deps());

    // Assess
    expect(third).toMatchObject({ outcome: 'already-started', count: 3 });
    expect(starts).toHaveLength(1);
  });

  it.each([
    ['one old-revision task stopped', [{ taskId: 'old1', startedBy: V14_DEPLOYMENT, revision: 14 }, { taskId: 'new1' }]],
    [
      'scale-in',
      [
        { taskId: 's1', stoppedReason: 'Scaling activity initiated by (deployment ecs-svc/4520982937154920815)' },
        { taskId: 's2', stoppedReason: 'Scaling activity initiated by (deployment ecs-svc/4520982937154920815)' },
      ],
    ],
    [
      'a Fargate maintenance retirement',
      [
        { taskId: 'm1', stopCode: 'TerminationNotice', stoppedReason: 'Task stopped for Fargate platform maintenance' },
        { taskId: 'm2', stopCode: 'TerminationNotice', stoppedReason: 'Task stopped for Fargate platform maintenance' },
      ],
    ],
    [
      'a user StopTask',
      [
        { taskId: 'u1', stopCode: 'UserInitiated', stoppedReason: 'Task stopped by user' },
        { taskId: 'u2', stopCode: 'UserInitiated', stoppedReason: 'Task stopped by user' },
      ],
    ],
  ])('does not roll back for %s', async (_name, stops) => {
    // Act
    for (const options of stops) await detect(taskStopEvent(options), deps());

    // Assess
    expect(starts).toHaveLength(0);
  });

  it("does not count the tasks of this system's own rollback deployment", async () => {
    // Prepare
    newest = { id: 'ecs-svc/9000000000000000001', taskDefinitionArn: TD(14), createdAt: V15_STARTED_AT };
    await stateTable.recordRollbackDeployment({
      deploymentId: 'ecs-svc/9000000000000000001',
      cluster: CLUSTER,
      service: SERVICE,
      executionId: `${STATE_MACHINE}:earlier`,
    });

    // Act
    const results = [];
    for (const taskId of ['r1', 'r2']) {
      results.push(await detect(taskStopEvent({ taskId, startedBy: 'ecs-svc/9000000000000000001', revision: 14 }), deps()));
    }

    // Assess
    expect(results.map((r) => r.outcome)).toEqual(['not-attributed', 'not-attributed']);
    expect(starts).toHaveLength(0);
  });

  it('starts a notify-only execution when configured so', async () => {
    // Act
    for (const taskId of ['t1', 't2']) await detect(taskStopEvent({ taskId }), deps({ notifyOnly: true }));

    // Assess
    expect(starts[0]?.input.detail.notifyOnly).toBe(true);
  });

  it("starts the rollback when EventBridge redelivers the K-th stop after StartExecution's answer was lost (ExecutionAlreadyExists is started)", async () => {
    // Prepare
    const base = deps();
    let calls = 0;
    const retrying: DetectorDeps = {
      ...base,
      startExecution: async (name, input) => {
        calls += 1;
        if (calls === 1) {
          await base.startExecution(name, input);
          throw new Error('connection reset after StartExecution');
        }
        return { executionArn: `${STATE_MACHINE}:${name}`, alreadyExists: true };
      },
    };
    await detect(taskStopEvent({ taskId: 't1' }), retrying);

    // Act
    await expect(detect(taskStopEvent({ taskId: 't2' }), retrying)).rejects.toThrow('connection reset');
    const retry = await detect(taskStopEvent({ taskId: 't2' }), retrying);

    // Assess
    expect(retry.outcome).toBe('already-started');
    expect(starts).toHaveLength(1);
  });
});
