import { describe, expect, it } from 'vitest';
import { notificationKindOf, type RollbackRun, runRollback } from '../../local/harness/index';
import { acceptedDeployments, useBundledWorlds } from '../helpers/bundled-worlds';

const worlds = useBundledWorlds();

describe('one rollback per service at a time (the DynamoDB lock)', () => {
  it('skips a manual start that arrives while the automatic rollback of riderapp-service is in flight, and says which execution holds it', async () => {
    // Prepare
    const { world, event } = await worlds.failedDeployment();
    const manualStart = {
      cluster: 'riderapp-cluster',
      service: 'riderapp-service',
      target: { taskDefinition: 'riderapp:13' },
      confirm: 'CONFIRM',
      requestedBy: 'octocat',
    };
    let second: Promise<RollbackRun> | undefined;

    // Act
    const first = await runRollback(world, event, {
      executionName: 'automatic',
      onPhase: (phase) => {
        if (phase.state === 'CheckStability' && second === undefined) {
          second = runRollback(world, manualStart, { executionName: 'manual-meanwhile' });
        }
      },
    });
    const meanwhile = await (second as Promise<RollbackRun>);

    // Assess
    expect(acceptedDeployments(world)).toEqual(['arn:aws:ecs:us-east-1:111122223333:task-definition/riderapp:14']);
    expect(first.notifications.map(notificationKindOf)).toEqual(['success']);
    expect(meanwhile.notifications.map(notificationKindOf)).toEqual(['skipped']);
    expect(meanwhile.result.output?.request).toMatchObject({ action: 'skip', actionReason: 'RollbackInProgress', lockHeld: false });
    expect(meanwhile.result.output?.request?.actionMessage).toContain('automatic');
    expect(meanwhile.notifications[0]?.message).toContain('RollbackInProgress');
    expect(world.model.summary('riderapp-cluster', 'riderapp-service').taskDefinition).toMatch(/riderapp:14$/);
  });

  it('lets the next rollback of the service run once the first released the lock', async () => {
    // Prepare
    const { world, event } = await worlds.failedDeployment();
    await runRollback(world, event, { executionName: 'automatic' });

    // Act
    const manual = await runRollback(
      world,
      { cluster: 'riderapp-cluster', service: 'riderapp-service', target: { taskDefinition: 'riderapp:13' }, confirm: 'CONFIRM' },
      { executionName: 'manual-after' },
    );

    // Assess
    expect(manual.notifications.map(notificationKindOf)).toEqual(['success']);
    expect(acceptedDeployments(world)).toEqual([
      'arn:aws:ecs:us-east-1:111122223333:task-definition/riderapp:14',
      'arn:aws:ecs:us-east-1:111122223333:task-definition/riderapp:13',
    ]);
  });
});
