import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type Bundles,
  buildBundles,
  createWorld,
  isDeploymentFailed,
  notificationKindOf,
  removeBundles,
  runRollback,
  type World,
} from '../../local/harness/index';

let bundles: Bundles;
let world: World | undefined;

beforeAll(async () => {
  bundles = await buildBundles();
});

afterAll(() => removeBundles());

afterEach(async () => {
  await world?.dispose();
  world = undefined;
});

/** A world where riderapp:15 was deployed and failed; returns the SERVICE_DEPLOYMENT_FAILED event. */
async function failedDeployment(): Promise<{ world: World; event: unknown }> {
  world = await createWorld({ bundles });
  world.model.deploy('riderapp-cluster', 'riderapp-service', 'riderapp:15');
  return { world, event: world.advanceUntilEvent(isDeploymentFailed) };
}

const acceptedDeployments = (w: World) => w.standIn.calls.succeeded('UpdateService', 'ECS').map((c) => c.params['taskDefinition']);

describe('the same SERVICE_DEPLOYMENT_FAILED event delivered twice (EventBridge delivers at least once)', () => {
  it('rolls back once when the copies arrive one after the other; the second ends skipped as a duplicate', async () => {
    // Prepare
    const { world, event } = await failedDeployment();

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
    const { world, event } = await failedDeployment();

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
