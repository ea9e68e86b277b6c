/**
 * Each guard of DESIGN.md "Guards", end to end on the stand-in with the bundled functions: the
 * execution ends with a skipped notification whose text carries the guard's reason, and the
 * service is left exactly as it was.
 */
import { describe, expect, it } from 'vitest';
import {
  deployAndFail,
  isAlarm,
  isDeploymentFailed,
  notificationKindOf,
  runRollback,
  type World,
} from '../../local/harness/index';
import type { StandInEvent } from '../../local/stand-in/index';
import { acceptedDeployments, useBundledWorlds } from '../helpers/bundled-worlds';

const worlds = useBundledWorlds();
const CLUSTER = 'riderapp-cluster';
const SERVICE = 'riderapp-service';

/** Runs the input and asserts the guard's ending: one skipped notification naming `reason`, no deployment, no change. */
async function expectGuardSkips(world: World, input: unknown, reason: string, executionName: string) {
  // Prepare
  const deploymentsBefore = acceptedDeployments(world).length;
  const registrations = () => world.standIn.calls.succeeded('RegisterTaskDefinition', 'ECS').length;
  const registrationsBefore = registrations();
  const before = world.model.summary(CLUSTER, SERVICE).taskDefinition;

  // Act
  const run = await runRollback(world, input, { executionName });

  // Assess
  expect(run.result.status).toBe('SUCCEEDED');
  expect(run.result.output?.request).toMatchObject({ action: 'skip', actionReason: reason, lockHeld: false });
  expect(run.notifications.map(notificationKindOf)).toEqual(['skipped']);
  expect(run.notifications[0]?.message).toContain(reason);
  expect(run.notifications[0]?.message).toContain('nothing was changed');
  expect(acceptedDeployments(world)).toHaveLength(deploymentsBefore);
  expect(registrations()).toBe(registrationsBefore);
  expect(world.model.summary(CLUSTER, SERVICE).taskDefinition).toBe(before);
  return run;
}

/** The same CloudWatch alarm event, as if its state changed `laterMs` after the original. */
function alarmLater(alarm: StandInEvent, laterMs: number): StandInEvent {
  const time = new Date(Date.parse(alarm.time) + laterMs).toISOString();
  const detail = alarm.detail as unknown as { state: Record<string, unknown> };
  return {
    ...alarm,
    id: `${alarm.id}-later`,
    time,
    detail: { ...alarm.detail, state: { ...detail.state, timestamp: time.replace('Z', '+0000') } },
  } as StandInEvent;
}

describe('guards: a rollback must never make things worse', () => {
  it('reports, and does not roll back again, the failure of a rollback deployment this system started (no loop)', async () => {
    // Prepare: riderapp:15 fails, the rollback to riderapp:14 fails too (its image now fails to start)
    const { world, event } = await worlds.failedDeployment();
    const v14 = world.riderapp?.revisions[14].image;
    if (v14 !== undefined) world.model.markImage(v14, 'bad');
    const failed = await runRollback(world, event, { executionName: 'rollback-that-fails' });
    expect(failed.result.error?.Error).toBe('DeploymentFailed');
    const deploymentIdOf = (e: StandInEvent) => (e.detail as unknown as { deploymentId?: string }).deploymentId;
    const isOwnFailure = (e: StandInEvent) => isDeploymentFailed(e) && deploymentIdOf(e) !== deploymentIdOf(event);
    const ownFailure = world.events.find(isOwnFailure) ?? world.advanceUntilEvent(isOwnFailure);

    // Act + Assess
    await expectGuardSkips(world, ownFailure, 'OwnDeploymentFailed', 'own-failure');
  });

  it('turns a further failure of the service within the cool-down into a notification', async () => {
    // Prepare: a rollback succeeded; then a person deploys riderapp:15 again and it fails again
    const { world, event } = await worlds.failedDeployment();
    await runRollback(world, event, { executionName: 'first-rollback' });
    world.advance(5 * 60_000);
    const again = deployAndFail(world, 'riderapp:15');

    // Act + Assess
    await expectGuardSkips(world, again, 'CooldownActive', 'within-cooldown');
  });

  it('only reports an alarm that fires more than the rollback window after the last deployment', async () => {
    // Prepare: riderapp:15 completes, then turns unhealthy; the alarm comes 61 minutes after the deployment
    const world = await worlds.start({ riderapp: { v15Behaviour: 'regression' } });
    world.model.deploy(CLUSTER, SERVICE, 'riderapp:15');
    const deployedAt = world.now();
    const alarm = world.advanceUntilEvent(isAlarm);
    const late = alarmLater(alarm, deployedAt + 61 * 60_000 - Date.parse(alarm.time));
    world.advance(Date.parse(late.time) - world.now());

    // Act + Assess
    await expectGuardSkips(world, late, 'AlarmOutsideWindow', 'late-alarm');
  });

  it('only reports a failure event that arrives after a newer deployment replaced the failed one', async () => {
    // Prepare: riderapp:15 fails; before the (late) event is handled, a person deploys riderapp:13
    const { world, event } = await worlds.failedDeployment();
    world.model.deploy(CLUSTER, SERVICE, 'riderapp:13');
    world.advance(60_000);

    // Act + Assess
    await expectGuardSkips(world, event, 'DeploymentSuperseded', 'superseded');
  });

  it('gives advice only, and changes nothing, for a manual database rollback', async () => {
    // Prepare
    const { world } = await worlds.failedDeployment();

    // Act + Assess
    const run = await expectGuardSkips(
      world,
      { cluster: CLUSTER, service: SERVICE, rollbackType: 'database', confirm: 'CONFIRM', requestedBy: 'octocat' },
      'AdvisoryOnly',
      'database-advice',
    );
    expect(run.notifications[0]?.message).toMatch(/snapshot/i);
  });

  it('rejects a manual start without CONFIRM with a failure notification naming the field, and changes nothing', async () => {
    // Prepare
    const { world } = await worlds.failedDeployment();
    const before = world.model.summary(CLUSTER, SERVICE).taskDefinition;

    // Act
    const run = await runRollback(world, { cluster: CLUSTER, service: SERVICE }, { executionName: 'no-confirm' });

    // Assess
    expect(run.result.status).toBe('FAILED');
    expect(run.result.error?.Error).toBe('ValidationError');
    expect(run.notifications.map(notificationKindOf)).toEqual(['failure']);
    expect(run.notifications[0]?.message).toContain('confirm');
    expect(acceptedDeployments(world)).toEqual([]);
    expect(world.model.summary(CLUSTER, SERVICE).taskDefinition).toBe(before);
  });
});
