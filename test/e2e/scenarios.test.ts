import { describe, expect, it } from 'vitest';
import { notificationKindOf, RIDERAPP, runScenario, SCENARIOS, type ScenarioName } from '../../local/harness/index';
import { acceptedDeployments, useBundledWorlds } from '../helpers/bundled-worlds';

const worlds = useBundledWorlds();

describe('the demo scenarios, with the bundled functions on the stand-in', () => {
  it.each<[ScenarioName, string, string[], string]>([
    ['deployment-failed', 'riderapp:14', ['riderapp:14'], 'success'],
    ['alarm-after-deploy', 'riderapp:14', ['riderapp:14'], 'success'],
    ['manual-to-revision', 'riderapp:13', ['riderapp:13'], 'success'],
    ['dry-run', 'riderapp:14', [], 'dry-run'],
    ['no-previous-version', 'riderapp:1', [], 'skipped'],
    ['rollback-also-fails', 'riderapp:14', ['riderapp:14'], 'failure'],
  ])('%s ends on %s after deployments %j with a %s notification', async (name, taskDefinition, deployments, notification) => {
    // Prepare
    const scenario = SCENARIOS[name];
    const world = await worlds.start(scenario.world);

    // Act
    const outcome = await runScenario(world, scenario);

    // Assess
    expect(scenario.verify(world, outcome)).toEqual([]);
    expect(outcome.finalTaskDefinition).toBe(taskDefinition);
    expect(acceptedDeployments(world).map((td) => String(td).replace(/^.*task-definition\//, ''))).toEqual(deployments);
    expect(world.standIn.published.map(notificationKindOf)).toEqual([notification]);
    expect(world.standIn.published[0]?.topicArn).toBe(RIDERAPP.topicArn);
    expect(outcome.run.timeline.map((phase) => phase.state)).toEqual(outcome.run.result.statesEntered);
  });

  it('puts each AWS call in the timeline under the state that made it', async () => {
    // Prepare
    const world = await worlds.start(SCENARIOS['deployment-failed'].world);

    // Act
    const outcome = await runScenario(world, SCENARIOS['deployment-failed']);

    // Assess
    const callsOf = (state: string) => [...new Set(outcome.run.timeline.filter((p) => p.state === state).flatMap((p) => p.calls.map((c) => c.operation)))];
    expect(callsOf('UpdateService')).toEqual(['DescribeServices', 'UpdateService']);
    expect(callsOf('NotifySuccess')).toEqual(['Publish']);
    expect(callsOf('WaitForStability')).toEqual([]);
    expect(outcome.run.timeline.flatMap((p) => p.calls)).toHaveLength(outcome.run.calls.length);
  });

  it('reports the unmet expectations when deployment-failed cannot deploy riderapp:14', async () => {
    // Prepare
    const scenario = SCENARIOS['deployment-failed'];
    const world = await worlds.start(scenario.world);
    world.standIn.faults.serverError('ECS', 'UpdateService');

    // Act
    const outcome = await runScenario(world, scenario);

    // Assess
    expect(scenario.verify(world, outcome)).toEqual([
      'the execution ended FAILED (TransientAwsError), expected SUCCEEDED',
      'the notification was failure, expected success',
      'the service runs riderapp:15, expected riderapp:14',
      expect.stringMatching(/^the service is not steady and healthy \(riderapp:15, /),
      '0 UpdateService calls were accepted, expected 1',
    ]);
  });
});
