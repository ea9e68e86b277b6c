import { describe, expect, it } from 'vitest';
import { notificationKindOf, runRollback } from '../../local/harness/index';
import { acceptedDeployments, useBundledWorlds } from '../helpers/bundled-worlds';

const worlds = useBundledWorlds();

describe('the same SERVICE_DEPLOYMENT_FAILED event delivered twice (EventBridge delivers at least once)', () => {
  it('rolls back once when the copies arrive one after the other; the second ends skipped as a duplicate', async () => {
    // Prepare
    const { world, event } = await worlds.failedDeployment();

    // Act
    const first = await runRollback(world, event, { executionName: 'first-delivery' });
    const second = await runRollback(world, event, { executionName: 'second-delivery' });

    // Assess
    expect(acceptedDeployments(world)).toEqual(['arn:aws:ecs:us-east-1:111122223333:task-definition/riderapp:14']);
    expect(first.notifications.map(notificationKindOf)).toEqual(['success']);
    expect(second.notifications.map(notificationKindOf)).toEqual(['skipped']);
    expect(second.result.output?.request).toMatchObject({ action: 'skip', actionReason: 'DuplicateTrigger' });
    expect(world.model.summary('riderapp-cluster', 'riderapp-service').taskDefinition).toMatch(/riderapp:14$/);
  });

  it('rolls back once when the copies arrive at the same time; the other ends skipped (duplicate or in progress)', async () => {
    // Prepare
    const { world, event } = await worlds.failedDeployment();

    // Act
    const runs = await Promise.all([
      runRollback(world, event, { executionName: 'delivery-a' }),
      runRollback(world, event, { executionName: 'delivery-b' }),
    ]);

    // Assess
    expect(acceptedDeployments(world)).toEqual(['arn:aws:ecs:us-east-1:111122223333:task-definition/riderapp:14']);
    expect(runs.flatMap((run) => run.notifications.map(notificationKindOf)).sort()).toEqual(['skipped', 'success']);
    const skipped = runs.find((run) => run.result.output?.notification?.kind === 'skipped');
    expect(['DuplicateTrigger', 'RollbackInProgress']).toContain(skipped?.result.output?.request?.actionReason);
    expect(runs.map((run) => run.result.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
  });
});
