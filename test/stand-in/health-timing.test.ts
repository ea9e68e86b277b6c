import { ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterEach, describe, expect, it } from 'vitest';
import { describeHealthCheckTimings, observeDeploymentTargets } from '../../lambdas/aws/target-health';
import { type StandIn, startStandIn } from '../../local/stand-in/index';

const CLUSTER = 'riderapp-cluster';
const SERVICE = 'riderapp-service';
const SECOND = 1_000;

let standIn: StandIn | undefined;
let clients: { ecs: ECSClient; elbv2: ElasticLoadBalancingV2Client } | undefined;

async function start() {
  standIn = await startStandIn({ speed: 0, riderapp: {}, start: Date.parse('2025-06-02T09:00:00Z') });
  const config = standIn.clientConfig({ maxAttempts: 1 });
  clients = { ecs: new ECSClient(config), elbv2: new ElasticLoadBalancingV2Client(config) };
  return { standIn, ...clients, targetGroupArn: standIn.riderapp!.targetGroupArn };
}

afterEach(async () => {
  clients?.ecs.destroy();
  clients?.elbv2.destroy();
  await standIn?.stop();
  standIn = undefined;
  clients = undefined;
});

describe("the stand-in answers what CheckStability's wait estimate reads, as AWS does", () => {
  it("describes riderapp-tg's health check interval and healthy threshold when asked by ARN", async () => {
    // Prepare
    const { elbv2, targetGroupArn } = await start();

    // Act
    const timings = await describeHealthCheckTimings([targetGroupArn], elbv2);

    // Assess
    expect(timings).toEqual([{ targetGroupArn, intervalSeconds: 30, healthyThresholdCount: 5 }]);
  });

  it("turns a rollback task's target healthy within the last interval before its startedAt + 30 s × 5 (its own check phase), initial before", async () => {
    // Prepare
    const { standIn, ecs, elbv2, targetGroupArn } = await start();
    const updated = await ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: SERVICE, taskDefinition: 'riderapp:13' }));
    const deploymentId = updated.service?.deployments?.[0]?.id ?? '';

    // Act
    standIn.advance(75 * SECOND);
    const running = await observeDeploymentTargets(CLUSTER, deploymentId, [targetGroupArn], { ecs, elbv2 });
    const lastStart = Math.max(...running.tasks.map((t) => t.startedAt?.getTime() ?? Number.NaN));
    const firstStart = Math.min(...running.tasks.map((t) => t.startedAt?.getTime() ?? Number.NaN));
    standIn.advance(firstStart + 120 * SECOND - standIn.model.now() - 1);
    const justBefore = await observeDeploymentTargets(CLUSTER, deploymentId, [targetGroupArn], { ecs, elbv2 });
    standIn.advance(lastStart + 150 * SECOND - standIn.model.now());
    const atEstimate = await observeDeploymentTargets(CLUSTER, deploymentId, [targetGroupArn], { ecs, elbv2 });

    // Assess
    expect(running.tasks).toHaveLength(3);
    expect(running.tasks.every((t) => t.startedAt instanceof Date)).toBe(true);
    expect(running.groups[0]).toMatchObject({ registered: 3, healthy: 0 });
    expect(running.groups[0]?.notHealthy).toEqual(expect.arrayContaining([expect.stringMatching(/^initial: Elb\./)]));
    expect(justBefore.groups[0]).toMatchObject({ registered: 3, healthy: 0 });
    expect(justBefore.groups[0]?.notHealthy).toEqual(Array(3).fill('initial: Elb.InitialHealthChecking'));
    expect(atEstimate.groups[0]).toMatchObject({ registered: 3, healthy: 3 });
  });
});
