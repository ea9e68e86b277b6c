import { describe, expect, it } from 'vitest';
import {
  attachDetector,
  deployAndComplete,
  notificationKindOf,
  runScenario,
  SCENARIOS,
  type ScenarioName,
} from '../../local/harness/index';
import { acceptedDeployments, useBundledWorlds } from '../helpers/bundled-worlds';

const worlds = useBundledWorlds();

const short = (td: unknown) => String(td).replace(/^.*task-definition\//, '');

describe('the task-stop detector on the stand-in: its rule, the bundled detector, the real ASL', () => {
  it.each<[ScenarioName, string, string]>([
    ['regression-after-complete', 'riderapp:14', 'success'],
    ['crash-loop-small-service', 'riderapp:14', 'success'],
    ['dependency-outage', 'riderapp:15', 'dry-run'],
  ])('%s ends on %s with a %s notification', async (name, taskDefinition, notification) => {
    // Prepare
    const scenario = SCENARIOS[name];
    const world = await worlds.start(scenario.world);

    // Act
    const outcome = await runScenario(world, scenario);

    // Assess
    expect(scenario.verify(world, outcome)).toEqual([]);
    expect(outcome.finalTaskDefinition).toBe(taskDefinition);
    expect(world.standIn.published.map(notificationKindOf)).toEqual([notification]);
    expect(outcome.detector?.executions()).toHaveLength(1);
    expect(outcome.detector?.results.filter((r) => r.outcome === 'error')).toEqual([]);
    expect(acceptedDeployments(world).map(short)).toEqual(name === 'regression-after-complete' ? ['riderapp:14'] : []);
  });
});

describe('stops the task-stop detector must not roll back for', () => {
  const CLUSTER = 'riderapp-cluster';
  const SERVICE = 'riderapp-service';

  /** A world where riderapp:15 (good) deployed and COMPLETED, with the detector attached (K = 2). */
  const completedWorld = async () => {
    const world = await worlds.start({ riderapp: { v15Behaviour: 'good' } });
    const detector = await attachDetector(world);
    deployAndComplete(world, 'riderapp:15');
    await detector.idle();
    return { world, detector };
  };
  const running = (world: Awaited<ReturnType<typeof completedWorld>>['world'], revision: string) =>
    world.model
      .serviceTasks(world.model.getService(CLUSTER, SERVICE))
      .filter((t) => t.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING' && t.taskDefinitionArn.endsWith(`/${revision}`));

  it.each<[string, { stopCode: 'UserInitiated' | 'TerminationNotice'; reason: string }, string]>([
    ['a person stopping two riderapp:15 tasks (StopTask)', { stopCode: 'UserInitiated', reason: 'Task stopped by user' }, 'user-initiated'],
    [
      'Fargate retiring two riderapp:15 tasks for maintenance',
      { stopCode: 'TerminationNotice', reason: 'Task is being retired for Fargate platform maintenance' },
      'termination-notice',
    ],
  ])('%s', async (_what, stop, row) => {
    // Prepare
    const { world, detector } = await completedWorld();
    const [first, second] = running(world, 'riderapp:15');

    // Act
    world.model.stopServiceTask(CLUSTER, first!.arn, stop);
    world.model.stopServiceTask(CLUSTER, second!.arn, stop);
    await detector.advance({ withinMs: 5 * 60_000 });

    // Assess
    expect(detector.executions()).toEqual([]);
    const stopped = [first!.id, second!.id];
    const stops = detector.results.filter((r) => r.taskId !== undefined && stopped.includes(r.taskId));
    expect(stops.length).toBeGreaterThanOrEqual(2);
    expect(stops.map((r) => `${r.outcome}: ${r.message}`)).toEqual(stops.map(() => expect.stringMatching(new RegExp(`^not-counted: .*\\(${row}\\)`))));
  });

  it('scale-in from 3 to 1 task of riderapp:15', async () => {
    // Prepare
    const { world, detector } = await completedWorld();

    // Act
    world.model.updateService({ cluster: CLUSTER, service: SERVICE, desiredCount: 1 });
    await detector.advance({ withinMs: 10 * 60_000 });

    // Assess
    expect(running(world, 'riderapp:15')).toHaveLength(1);
    expect(detector.executions()).toEqual([]);
    expect(detector.delivered.length).toBeGreaterThanOrEqual(2);
    expect(detector.results.every((r) => r.outcome === 'not-counted')).toBe(true);
  });

  it('a riderapp:14 task whose container crashes while riderapp:15 deploys (an older revision)', async () => {
    // Prepare
    const world = await worlds.start({ riderapp: { v15Behaviour: 'good' } });
    const detector = await attachDetector(world, { threshold: 1 });
    world.model.deploy(CLUSTER, SERVICE, 'riderapp:15');
    const [old] = running(world, 'riderapp:14');

    // Act
    world.model.stopServiceTask(CLUSTER, old!.arn, { stopCode: 'EssentialContainerExited', reason: 'Essential container in task exited', exitCode: 137 });
    await detector.advance({ withinMs: 2 * 60_000 });

    // Assess
    expect(detector.executions()).toEqual([]);
    expect(detector.results.map((r) => `${r.outcome}: ${r.message}`)).toContainEqual(expect.stringMatching(/^not-attributed: .*not by the newest deployment/));
  });

  it('the tasks of its own rollback deployment, when riderapp:14 fails to start too', async () => {
    // Prepare
    const world = await worlds.start({ riderapp: { v15Behaviour: 'regression' } });
    const detector = await attachDetector(world);
    deployAndComplete(world, 'riderapp:15');
    const v14 = world.riderapp?.revisions[14].image;
    if (v14 !== undefined) world.model.markImage(v14, 'bad');

    // Act
    await detector.advance({ withinMs: 30 * 60_000 });
    await detector.advance({ withinMs: 10 * 60_000 });

    // Assess
    expect(detector.executions()).toHaveLength(1);
    expect(world.standIn.published.map(notificationKindOf)).toEqual(['failure']);
    expect(detector.results).toContainEqual(expect.objectContaining({ outcome: 'not-attributed', message: expect.stringContaining('a rollback this system started') }));
  });
});

// Each of the detector's calls faulted and its Lambda crashed before and after its work: the fault matrix's story
// task-stop-detector (test/e2e/fault-matrix.test.ts, all of it in npm run test:faults).
describe('faults on the task-stop detector path', () => {
  /** regression-after-complete's world: riderapp:15 COMPLETED, its tasks about to fail their health checks. */
  const regression = async () => {
    const scenario = SCENARIOS['regression-after-complete'];
    const world = await worlds.start(scenario.world);
    const detector = await attachDetector(world);
    deployAndComplete(world, 'riderapp:15');
    return { world, detector };
  };

  it('dead-letters the stops it could not count after Lambda\'s two retries (the lost-triggers alarm), and starts nothing', async () => {
    // Prepare
    const { world, detector } = await regression();
    world.dynamo.faults.serverError('DynamoDB', 'UpdateItem(taskstops)');

    // Act
    await detector.advance({ withinMs: 15 * 60_000 });

    // Assess
    expect(detector.executions()).toEqual([]);
    expect(detector.deadLettered.length).toBeGreaterThanOrEqual(2);
    expect(detector.invocations()).toBeGreaterThanOrEqual(3 * detector.deadLettered.length);
  });
});
