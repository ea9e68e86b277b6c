import type { ImageDetail } from '@aws-sdk/client-ecr';
import type { Service, TaskDefinition } from '@aws-sdk/client-ecs';
import type { TargetHealthDescription } from '@aws-sdk/client-elastic-load-balancing-v2';
import { describe, expect, it } from 'vitest';
import { allTargetsHealthy, copyWithFirstImage, secondNewestImageTag, servicesStableVerdict } from '../../bench/seed-pipeline';
import { runModelSide } from '../../bench/sides';

const REPOSITORY = '111122223333.dkr.ecr.us-east-1.amazonaws.com/riderapp';

function image(tag: string, pushedAt: string): ImageDetail {
  return { repositoryName: 'riderapp', imageTags: [tag], imagePushedAt: new Date(pushedAt) };
}

describe("the seed's ECR query: sort_by(imagePushedAt)[-2].imageTags[0]", () => {
  it('picks v14 when v15 is the newest push, whatever order ECR lists them in', () => {
    // Prepare
    const images = [image('v15', '2024-05-01T11:00:00Z'), image('v12', '2024-04-01T00:00:00Z'), image('v14', '2024-04-29T00:00:00Z'), image('v13', '2024-04-20T00:00:00Z')];

    // Act
    const tag = secondNewestImageTag(images);

    // Assess
    expect(tag).toBe('v14');
  });

  it('finds nothing with a single image', () => {
    // Act / Assess
    expect(secondNewestImageTag([image('v1', '2024-04-01T00:00:00Z')])).toBeUndefined();
  });
});

describe("the seed's task definition copy", () => {
  const riderapp15: TaskDefinition = {
    taskDefinitionArn: 'arn:aws:ecs:us-east-1:111122223333:task-definition/riderapp:15',
    family: 'riderapp',
    revision: 15,
    status: 'ACTIVE',
    compatibilities: ['EC2', 'FARGATE'],
    requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.logging-driver.awslogs' }],
    registeredAt: new Date('2024-05-01T10:55:00Z'),
    registeredBy: 'arn:aws:iam::111122223333:role/deployer',
    placementConstraints: [],
    cpu: '512',
    memory: '1024',
    containerDefinitions: [
      { name: 'riderapp', image: `${REPOSITORY}:v15`, essential: true },
      { name: 'xray-daemon', image: 'public.ecr.aws/xray/aws-xray-daemon:3.3.14', essential: false },
    ],
  };

  it("swaps containerDefinitions[0].image to riderapp:v14 and drops the fields the seed's jq deletes", () => {
    // Act
    const copy = copyWithFirstImage(riderapp15, `${REPOSITORY}:v14`);

    // Assess
    expect(copy).toEqual({
      family: 'riderapp',
      cpu: '512',
      memory: '1024',
      containerDefinitions: [
        { name: 'riderapp', image: `${REPOSITORY}:v14`, essential: true },
        { name: 'xray-daemon', image: 'public.ecr.aws/xray/aws-xray-daemon:3.3.14', essential: false },
      ],
    });
    expect(riderapp15.containerDefinitions?.[0]?.image).toBe(`${REPOSITORY}:v15`);
  });
});

describe('the services-stable waiter', () => {
  const deployment = { id: 'ecs-svc/1', status: 'PRIMARY' };
  it.each([
    { when: 'the rollback is running but old tasks still drain (two deployments)', deployments: [deployment, { id: 'ecs-svc/0', status: 'ACTIVE' }], runningCount: 6, expected: 'retry' },
    { when: 'one deployment with fewer tasks running than desired', deployments: [deployment], runningCount: 2, expected: 'retry' },
    { when: 'one deployment and running == desired', deployments: [deployment], runningCount: 3, expected: 'success' },
  ])('answers $expected when $when', ({ deployments, runningCount, expected }) => {
    // Prepare
    const service: Service = { serviceName: 'riderapp-service', status: 'ACTIVE', desiredCount: 3, runningCount, deployments };

    // Act
    const verdict = servicesStableVerdict([service]);

    // Assess
    expect(verdict).toBe(expected);
  });

  it.each([
    { when: 'the service is DRAINING', services: [{ serviceName: 'riderapp-service', status: 'DRAINING' }], failures: [] },
    { when: 'the service is MISSING', services: [], failures: [{ arn: 'arn:aws:ecs:us-east-1:111122223333:service/riderapp-cluster/riderapp-service', reason: 'MISSING' }] },
  ])('fails when $when', ({ services, failures }) => {
    // Act / Assess
    expect(servicesStableVerdict(services as Service[], failures)).toBe('failure');
  });
});

describe("the seed's health check", () => {
  const target = (state: string): TargetHealthDescription => ({ Target: { Id: '10.0.1.10', Port: 8080 }, TargetHealth: { State: state as never } });

  it.each([
    { targets: [target('healthy'), target('healthy')], expected: true },
    { targets: [target('healthy'), target('initial')], expected: false },
    { targets: [target('healthy'), target('draining')], expected: false },
    { targets: [], expected: false },
  ])('passes=$expected for $targets.length targets', ({ targets, expected }) => {
    // Act / Assess
    expect(allTargetsHealthy(targets)).toBe(expected);
  });
});

describe("the seed's side of the bench", () => {
  it('starts its pipeline the reaction time after the first failed health check, even before the alarm fires, and recovers later with a slower person', () => {
    // Act
    const quick = runModelSide('alarm-after-deploy', 'seed', 1, { humanReportMinutes: 1 });
    const slow = runModelSide('alarm-after-deploy', 'seed', 1, { humanReportMinutes: 5 });
    const floor = runModelSide('alarm-after-deploy', 'floor', 1);

    // Assess: reported 1 (5) min after the first failure, started 2 min later (AWS_TIMINGS.humanStartMinutes)
    const moments = [quick, slow].map((run) => run.measures!.moments);
    expect(moments.map((m) => m.detection! - m.firstFailure)).toEqual([3 * 60_000, 7 * 60_000]);
    expect(moments[0]!.detection).toBeLessThan(floor.measures!.moments.detection!);
    expect(slow.measures!.recoveredMs - quick.measures!.recoveredMs).toBeGreaterThan(3 * 60_000);
  });
});
