import { describe, expect, it } from 'vitest';
import { notificationKindOf, runRollback } from '../../local/harness/index';
import { ECR_OPERATIONS } from '../../local/stand-in/ecr';
import { ECS_OPERATIONS } from '../../local/stand-in/ecs';
import { ELBV2_OPERATIONS } from '../../local/stand-in/elbv2';
import { SNS_OPERATIONS } from '../../local/stand-in/sns';
import { useBundledWorlds } from '../helpers/bundled-worlds';

const CLUSTER = 'riderapp-cluster';
const SERVICE = 'riderapp-service';
const TD = (revision: number) => `arn:aws:ecs:us-east-1:111122223333:task-definition/riderapp:${revision}`;

const worlds = useBundledWorlds();

describe('faults on the AWS APIs during a rollback', () => {
  it('still rolls back riderapp:15 to riderapp:14 when the first call of every operation is throttled', async () => {
    // Prepare
    const { world, event } = await worlds.failedDeployment();
    const operations = [
      ...ECS_OPERATIONS.map((operation) => ['ECS', operation] as const),
      ...ECR_OPERATIONS.map((operation) => ['ECR', operation] as const),
      ...ELBV2_OPERATIONS.map((operation) => ['ELBv2', operation] as const),
      ...SNS_OPERATIONS.map((operation) => ['SNS', operation] as const),
    ];
    for (const [service, operation] of operations) world.standIn.faults.throttle(service, operation, { times: 1 });

    // Act
    const run = await runRollback(world, event);

    // Assess
    expect(run.result.status).toBe('SUCCEEDED');
    expect(world.standIn.calls.of('UpdateService', 'ECS').map((c) => c.errorCode ?? c.status)).toEqual(['ThrottlingException', 200]);
    expect(world.standIn.calls.of('Publish', 'SNS').map((c) => c.errorCode ?? c.status)).toEqual(['Throttled', 200]);
    expect(run.notifications.map(notificationKindOf)).toEqual(['success']);
    expect(world.model.summary(CLUSTER, SERVICE).taskDefinition).toBe(TD(14));
  });

  it('sends a failure notification and leaves riderapp:15 in place when ECS UpdateService answers 500 forever', async () => {
    // Prepare
    const { world, event } = await worlds.failedDeployment();
    world.standIn.faults.serverError('ECS', 'UpdateService');

    // Act
    const run = await runRollback(world, event);

    // Assess
    expect(run.result.status).toBe('FAILED');
    expect(run.result.retried.filter((state) => state === 'UpdateService').length).toBeGreaterThan(0);
    expect(world.standIn.calls.of('UpdateService', 'ECS').every((c) => c.errorCode === 'ServerException')).toBe(true);
    expect(world.standIn.calls.succeeded('UpdateService', 'ECS')).toEqual([]);
    expect(world.standIn.calls.succeeded('RegisterTaskDefinition', 'ECS')).toEqual([]);
    expect(run.notifications.map(notificationKindOf)).toEqual(['failure']);
    expect(run.notifications[0]?.subject).toContain('Rollback failed at UpdateService');
    expect(world.model.summary(CLUSTER, SERVICE).taskDefinition).toBe(TD(15));
  });

  it('sends a failure notification naming the field and changes nothing when the event is malformed', async () => {
    // Prepare
    const { world, event } = await worlds.failedDeployment();
    const malformed = { ...event, resources: ['riderapp-service'] };

    // Act
    const run = await runRollback(world, malformed);

    // Assess
    expect(run.result.status).toBe('FAILED');
    expect(run.notifications.map(notificationKindOf)).toEqual(['failure']);
    expect(run.notifications[0]?.subject).toContain('Rollback failed at Prepare');
    expect(run.notifications[0]?.message).toContain('resources: expected an ECS service ARN');
    expect(world.standIn.calls.of('UpdateService', 'ECS')).toEqual([]);
    expect(world.standIn.calls.of('RegisterTaskDefinition', 'ECS')).toEqual([]);
    expect(world.model.summary(CLUSTER, SERVICE).taskDefinition).toBe(TD(15));
  });
});
