import { describe, expect, it } from 'vitest';
import { badVersionStops, type CountRecord, type DetectorObserved, formatMatrix, judge, judgeDetector, type Observed } from '../../local/harness/fault-matrix';
import type { PublishedMessage, StandInEvent } from '../../local/stand-in/index';

const TD = (revision: number) => `arn:aws:ecs:us-east-1:111122223333:task-definition/riderapp:${revision}`;
const message = (status: string, text = ''): PublishedMessage => ({
  messageId: `m-${status}`,
  topicArn: 'arn:aws:sns:us-east-1:111122223333:riderapp-rollback-notifications',
  message: text,
  messageAttributes: { status: { DataType: 'String', StringValue: status } },
  modelTime: 0,
  realTime: 0,
});
const rolledBack: Observed = {
  status: 'SUCCEEDED',
  published: [message('success')],
  updates: 1,
  registrations: 0,
  publishLost: false,
  finalTaskDefinition: TD(14),
  target: 'riderapp:14',
  failing: 'riderapp:15',
  secondBlocked: false,
};

describe('judging a fault-matrix case', () => {
  it('finds a rollback to riderapp:14 with one success notification safe', () => {
    // Assess
    expect(judge(rolledBack)).toEqual([]);
  });

  it('finds a FAILED execution without a notification safe (the executions-failed alarm hears it)', () => {
    // Assess
    expect(judge({ ...rolledBack, status: 'FAILED', published: [], updates: 0, finalTaskDefinition: TD(15) })).toEqual([]);
  });

  it.each<[string, Partial<Observed>, string]>([
    ['a silent success', { published: [] }, 'without any notification'],
    ['a success notification while riderapp:15 still runs', { finalTaskDefinition: TD(15), updates: 0 }, 'success notification but the service runs riderapp:15'],
    ['a real rollback skipped', { published: [message('skipped', 'Reason: RollbackInProgress')], updates: 0, finalTaskDefinition: TD(15) }, 'a real rollback was skipped: RollbackInProgress'],
    ['a failure saying nothing changed after UpdateService took effect', { status: 'FAILED', published: [message('failure', 'Changed: Nothing: the service was not updated.')] }, 'says nothing changed'],
    [
      'a failure saying nothing changed (as Notify pads the label) after StopServiceDeployment took effect',
      { status: 'FAILED', updates: 0, nativeRollbacks: 1, published: [message('failure', 'What failed\n  Changed     Nothing: the service was not updated.')] },
      'says nothing changed, but StopServiceDeployment took effect',
    ],
    [
      'a failure naming UpdateService after only StopServiceDeployment took effect',
      { status: 'FAILED', updates: 0, nativeRollbacks: 1, published: [message('failure', 'What failed\n  Changed     UpdateService was called: deployment ecs-svc/1 of riderapp:14')] },
      'says UpdateService was called, but it never took effect',
    ],
    ['an UpdateService and a StopServiceDeployment', { nativeRollbacks: 1 }, '2 ECS deployments started by one execution (UpdateService 1, StopServiceDeployment 1)'],
    ['two ECS deployments', { updates: 2 }, '2 ECS deployments'],
    ['two revisions', { registrations: 2 }, '2 task definition revisions'],
    ['two notifications without a lost Publish answer', { published: [message('success'), message('success')] }, '2 notifications published'],
    ['a leaked lock', { secondBlocked: true }, 'RollbackInProgress (lock leaked)'],
    ['the service on another revision', { finalTaskDefinition: TD(13), published: [message('failure')], status: 'FAILED' }, 'neither the target nor untouched'],
  ])('finds %s unsafe, saying why', (_name, change, why) => {
    // Assess
    expect(judge({ ...rolledBack, ...change }).join('; ')).toContain(why);
  });

  it("finds ECS's own rollback (StopServiceDeployment) to riderapp:14, named as such in an unconfirmed ending, safe", () => {
    // Assess
    expect(
      judge({
        ...rolledBack,
        status: 'FAILED',
        updates: 0,
        nativeRollbacks: 1,
        published: [message('failure', 'Now: StopServiceDeployment (ROLLBACK) took effect\n  Changed     StopServiceDeployment (ROLLBACK) was called: deployment ecs-svc/1')],
      }),
    ).toEqual([]);
  });

  it('allows two notifications when a Publish answer was lost', () => {
    // Assess
    expect(judge({ ...rolledBack, published: [message('success'), message('success')], publishLost: true })).toEqual([]);
  });

  it('prints cases tried and cases safe under the table', () => {
    // Act
    const table = formatMatrix([
      { name: 'a', status: 'SUCCEEDED', notifications: ['success'], finalTaskDefinition: 'riderapp:14', secondTrigger: 'SUCCEEDED', unsafe: [] },
      { name: 'b', status: 'SUCCEEDED', notifications: [], finalTaskDefinition: 'riderapp:15', secondTrigger: 'SUCCEEDED', unsafe: ['ended SUCCEEDED without any notification'] },
    ]);

    // Assess
    expect(table).toContain('| UNSAFE  | b ');
    expect(table.split('\n').at(-1)).toBe('cases tried: 2, cases safe: 1, unsafe: 1');
  });
});

describe('judging a fault-matrix case of the task-stop detector', () => {
  const counted: CountRecord = { deploymentId: 'ecs-svc/1', stopCount: 2, taskIds: ['a', 'b'], evidence: ['a', 'b'] };
  const started: DetectorObserved = {
    executions: 1,
    deadLettered: 0,
    counts: [counted],
    badStops: new Set(['a', 'b', 'c']),
    startEvidence: ['a', 'b'],
    threshold: 2,
  };

  it('finds one rollback started on K bad-version stops, each counted once, safe', () => {
    // Assess
    expect(judgeDetector(started)).toEqual([]);
  });

  it('finds no rollback safe when the events it could not handle were dead-lettered (the lost-triggers alarm hears it)', () => {
    // Assess
    expect(judgeDetector({ ...started, executions: 0, deadLettered: 3, startEvidence: [] })).toEqual([]);
  });

  it.each<[string, Partial<DetectorObserved>, string]>([
    ['two rollbacks', { executions: 2 }, '2 rollbacks started by the detector'],
    ['no rollback and nothing dead-lettered', { executions: 0, startEvidence: [] }, 'nobody hears of the bad version'],
    ['a task counted twice', { counts: [{ ...counted, stopCount: 3, evidence: ['a', 'b', 'a'] }] }, 'a task counted twice'],
    ['a counted task that did not stop for a bad version', { counts: [{ ...counted, taskIds: ['a', 'x'], evidence: ['a', 'x'] }] }, 'counted x, which did not stop because the version is bad'],
    ['a start on fewer than K stops', { startEvidence: ['a'] }, 'started on 1 stops (1 tasks), not on K = 2'],
    ['a start on a false positive', { startEvidence: ['a', 'x'] }, 'started on stops of x'],
  ])('finds %s unsafe, saying why', (_name, change, why) => {
    // Assess
    expect(judgeDetector({ ...started, ...change }).join('; ')).toContain(why);
  });

  it("takes the stand-in's own reasons as the bad-version stops: the failing revision's failed health checks and crashes, not scale-in or an older revision", () => {
    // Prepare
    const stop = (task: string, revision: number, stopCode: string, stoppedReason: string, desiredStatus = 'STOPPED'): StandInEvent =>
      ({
        version: '0',
        id: task,
        'detail-type': 'ECS Task State Change',
        source: 'aws.ecs',
        account: '111122223333',
        time: '2026-12-01T00:00:00Z',
        region: 'us-east-1',
        resources: [],
        detail: { taskArn: `arn:aws:ecs:us-east-1:111122223333:task/riderapp-cluster/${task}`, clusterArn: 'c', taskDefinitionArn: TD(revision), desiredStatus, lastStatus: 'RUNNING', stopCode, stoppedReason, updatedAt: '' },
      }) as StandInEvent;

    // Act
    const bad = badVersionStops(
      [
        stop('health', 15, 'ServiceSchedulerInitiated', 'Task failed ELB health checks in (target-group arn:tg)'),
        stop('crash', 15, 'EssentialContainerExited', 'Essential container in task exited'),
        stop('scale-in', 15, 'ServiceSchedulerInitiated', 'Scaling activity initiated by (deployment ecs-svc/1)'),
        stop('user', 15, 'UserInitiated', 'Task stopped by user'),
        stop('older', 14, 'EssentialContainerExited', 'Essential container in task exited'),
        stop('running', 15, 'EssentialContainerExited', 'Essential container in task exited', 'RUNNING'),
      ],
      'riderapp:15',
    );

    // Assess
    expect([...bad].sort()).toEqual(['crash', 'health']);
  });
});
