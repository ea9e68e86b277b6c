import { readFileSync } from 'node:fs';
import { DescribeImagesCommand, ECRClient, ImageNotFoundException } from '@aws-sdk/client-ecr';
import {
  ClientException,
  DescribeServiceDeploymentsCommand,
  DescribeServiceRevisionsCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListServiceDeploymentsCommand,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { REASONS } from '../../lambdas/core/reasons';
import { handler } from '../../lambdas/resolve-target/handler';
import { TargetNotFoundError, ValidationError } from '../../lambdas/shared/errors';
import type { ExplicitTarget, RollbackRequest, RollbackState } from '../../lambdas/shared/types';

/** An SDK response from test/fixtures/aws, with its time stamps as Date objects like the SDK gives them. */
function fixture<T = never>(name: string): T {
  const text = readFileSync(new URL(`../fixtures/aws/${name}.json`, import.meta.url), 'utf8');
  return JSON.parse(text, (key, value) =>
    typeof value === 'string' && /(At|Time)$/.test(key) && !Number.isNaN(Date.parse(value)) ? new Date(value) : value,
  ) as T;
}

const REPO = '111122223333.dkr.ecr.us-east-1.amazonaws.com/riderapp';
const TD = (revision: number) => `arn:aws:ecs:us-east-1:111122223333:task-definition/riderapp:${revision}`;
const digest = (n: number) => `sha256:${String(n).repeat(32)}`;
const COMMIT_14 = '9fceb02d0ae598e95dc970b74767f19372d61af8';
const FAILING_DEPLOYMENT = 'ecs-svc/5826139740216533215';
const GOOD_14_DEPLOYMENT = 'arn:aws:ecs:us-east-1:111122223333:service-deployment/riderapp-cluster/riderapp-service/Good14aN7mL0bYt4Hc2';
const GOOD_14_REVISION = 'arn:aws:ecs:us-east-1:111122223333:service-revision/riderapp-cluster/riderapp-service/4223567123456789014';

const ecsMock = mockClient(ECSClient);
const ecrMock = mockClient(ECRClient);

function stateWith(target?: ExplicitTarget): RollbackState {
  const request: RollbackRequest = {
    trigger: {
      kind: target === undefined ? 'deployment-failed' : 'manual',
      id: FAILING_DEPLOYMENT,
      time: '2026-11-29T11:58:30Z',
      summary: `ECS deployment ${FAILING_DEPLOYMENT} failed`,
      ...(target === undefined ? { deploymentId: FAILING_DEPLOYMENT } : {}),
    },
    region: 'us-east-1',
    account: '111122223333',
    cluster: 'riderapp-cluster',
    service: 'riderapp-service',
    serviceConfig: { cluster: 'riderapp-cluster', service: 'riderapp-service', ecrRepository: 'riderapp', alarmNames: [] },
    ...(target !== undefined ? { target } : {}),
    dryRun: false,
    rollbackType: 'application',
    action: 'rollback',
    lockHeld: true,
    preparedAt: '2026-11-29T11:58:31Z',
  };
  return {
    input: {},
    settings: { pollIntervalSeconds: 15, stabilizationTimeoutSeconds: 900 },
    execution: { id: 'arn:aws:states:us-east-1:111122223333:execution:riderapp-rollback:e1', startTime: '2026-11-29T11:58:30Z' },
    request,
  };
}

function imagesMatching(ids: { imageTag?: string; imageDigest?: string }[] | undefined) {
  const all = fixture<{ imageDetails: { imageTags?: string[]; imageDigest: string }[] }>('ecr-describe-images-riderapp').imageDetails;
  const [id] = ids ?? [];
  return all.filter((d) => d.imageDigest === id?.imageDigest || (id?.imageTag !== undefined && d.imageTags?.includes(id.imageTag)));
}

/** ECS history: riderapp:14's deployment succeeded before the failing one; its revision runs `taskDefinition`. */
function withHistory(taskDefinition = TD(14)): void {
  const revisions = fixture<{ serviceRevisions: object[] }>('ecs-describe-service-revisions-14');
  ecsMock.on(ListServiceDeploymentsCommand).resolves(fixture('ecs-list-service-deployments'));
  ecsMock.on(DescribeServiceDeploymentsCommand).resolves(fixture('ecs-describe-service-deployments-14'));
  ecsMock.on(DescribeServiceRevisionsCommand).resolves({ serviceRevisions: revisions.serviceRevisions.map((r) => ({ ...r, taskDefinition })) });
}

beforeEach(() => {
  ecsMock.reset();
  ecrMock.reset();
  ecsMock.on(DescribeServicesCommand).resolves(fixture('ecs-describe-services-failed'));
  ecsMock.on(DescribeTaskDefinitionCommand).rejects(new ClientException({ message: 'Unable to describe task definition.', $metadata: {} }));
  for (const revision of [14, 15]) {
    const described = fixture(`ecs-task-definition-riderapp-${revision}`);
    ecsMock.on(DescribeTaskDefinitionCommand, { taskDefinition: TD(revision) }).resolves(described);
    ecsMock.on(DescribeTaskDefinitionCommand, { taskDefinition: `riderapp:${revision}` }).resolves(described);
  }
  ecsMock.on(ListServiceDeploymentsCommand).resolves({ serviceDeployments: [] });
  ecrMock.on(DescribeImagesCommand).callsFake((input: { imageIds?: { imageTag?: string; imageDigest?: string }[] }) => {
    if (input.imageIds === undefined) return fixture('ecr-describe-images-riderapp');
    const found = imagesMatching(input.imageIds);
    if (found.length === 0) throw new ImageNotFoundException({ message: 'The image requested does not exist', $metadata: {} });
    return { imageDetails: found };
  });
});

describe('ResolveTarget: an explicit target of a manual start', () => {
  it.each([
    ['a family:revision', 'riderapp:14'],
    ['an ARN', TD(14)],
  ])('rolls back riderapp:15 to riderapp:14 given %s', async (_how, taskDefinition) => {
    // Act
    const target = await handler(stateWith({ taskDefinition }));

    // Assess
    expect(target).toMatchObject({
      outcome: 'rollback',
      source: 'explicit-task-definition',
      reason: REASONS.EXPLICIT_TASK_DEFINITION,
      taskDefinitionArn: TD(14),
      current: { arn: TD(15), family: 'riderapp', revision: 15 },
      message: 'Rolling back riderapp-service from riderapp:15 to riderapp:14, as requested.',
    });
    expect(ecsMock).toHaveReceivedCommandWith(DescribeTaskDefinitionCommand, { taskDefinition });
    expect(ecsMock).not.toHaveReceivedCommand(ListServiceDeploymentsCommand);
    expect(ecrMock).not.toHaveReceivedCommand(DescribeImagesCommand);
  });

  it.each([
    ['an image tag', { imageTag: '14' }, { imageTag: '14' }, '14'],
    ['a commit SHA used as a tag', { commit: COMMIT_14 }, { imageTag: COMMIT_14 }, COMMIT_14],
    ['an image digest', { imageDigest: digest(14) }, { imageDigest: digest(14) }, '14'],
  ])('rolls back to the image pinned by digest given %s', async (_how, explicit, imageId, tag) => {
    // Act
    const target = await handler(stateWith(explicit));

    // Assess
    expect(target).toMatchObject({
      outcome: 'rollback',
      source: 'explicit-image',
      reason: REASONS.EXPLICIT_IMAGE,
      image: { repositoryUri: REPO, digest: digest(14), tag, pushedAt: '2026-11-28T09:00:00.000Z' },
    });
    expect(target.taskDefinitionArn).toBeUndefined();
    expect(ecrMock).toHaveReceivedCommandWith(DescribeImagesCommand, { repositoryName: 'riderapp', imageIds: [imageId] });
    expect(ecsMock).not.toHaveReceivedCommand(ListServiceDeploymentsCommand);
  });

  it.each([
    ['taskDefinition', { taskDefinition: 'riderapp:99' }, /task definition riderapp:99 \(request\.target\.taskDefinition\) does not exist/],
    ['imageTag', { imageTag: 'v9.9.9' }, /imageTag v9\.9\.9 \(request\.target\.imageTag\) not found in ECR repository riderapp/],
    ['commit', { commit: 'deadbeef' }, /commit deadbeef \(request\.target\.commit\) not found in ECR repository riderapp/],
    ['imageDigest', { imageDigest: digest(99) }, /imageDigest sha256:9{64} \(request\.target\.imageDigest\) not found/],
  ])('fails with TargetNotFoundError for an unknown %s and asks nothing more', async (_field, explicit, message) => {
    // Act
    const resolving = handler(stateWith(explicit));

    // Assess
    await expect(resolving).rejects.toThrow(TargetNotFoundError);
    await expect(resolving).rejects.toThrow(message);
    expect(ecsMock).not.toHaveReceivedCommand(DescribeServicesCommand);
    expect(ecsMock).not.toHaveReceivedCommand(ListServiceDeploymentsCommand);
    expect(ecsMock.calls().length + ecrMock.calls().length).toBe(1);
  });

  it('refuses a task definition of another family (riderapp-worker:3) and deploys nothing', async () => {
    // Prepare
    const worker = fixture<{ taskDefinition: Record<string, unknown> }>('ecs-task-definition-riderapp-14');
    worker.taskDefinition.family = 'riderapp-worker';
    worker.taskDefinition.revision = 3;
    worker.taskDefinition.taskDefinitionArn = 'arn:aws:ecs:us-east-1:111122223333:task-definition/riderapp-worker:3';
    ecsMock.on(DescribeTaskDefinitionCommand, { taskDefinition: 'riderapp-worker:3' }).resolves(worker);

    // Act
    const resolving = handler(stateWith({ taskDefinition: 'riderapp-worker:3' }));

    // Assess
    await expect(resolving).rejects.toThrow(ValidationError);
    await expect(resolving).rejects.toMatchObject({ field: 'request.target.taskDefinition' });
    await expect(resolving).rejects.toThrow(/riderapp-worker:3 is of family riderapp-worker, but riderapp-service runs family riderapp/);
  });

  it.each([
    ['the task definition that runs now', { taskDefinition: 'riderapp:15' }],
    ['the image tag that runs now', { imageTag: '15' }],
  ])('skips with AlreadyOnTarget when asked for %s', async (_what, explicit) => {
    // Act
    const target = await handler(stateWith(explicit));

    // Assess
    expect(target).toMatchObject({ outcome: 'skip', reason: REASONS.ALREADY_ON_TARGET });
    expect(target.message).toContain('riderapp-service already runs');
  });
});

describe('ResolveTarget: automatic', () => {
  it('rolls back riderapp:15 to riderapp:14, the last deployment ECS reports as successful', async () => {
    // Prepare
    withHistory();

    // Act
    const target = await handler(stateWith());

    // Assess
    expect(target).toMatchObject({
      outcome: 'rollback',
      source: 'deployment-history',
      reason: REASONS.PREVIOUS_SUCCESSFUL_DEPLOYMENT,
      taskDefinitionArn: TD(14),
      current: { arn: TD(15) },
    });
    expect(Date.parse(target.resolvedAt)).not.toBeNaN();
    expect(ecsMock).toHaveReceivedCommandWith(ListServiceDeploymentsCommand, {
      cluster: 'riderapp-cluster',
      service: 'riderapp-service',
      status: ['SUCCESSFUL', 'ROLLBACK_SUCCESSFUL'],
    });
    expect(ecsMock).toHaveReceivedCommandWith(DescribeServiceDeploymentsCommand, { serviceDeploymentArns: [GOOD_14_DEPLOYMENT] });
    expect(ecsMock).toHaveReceivedCommandWith(DescribeServiceRevisionsCommand, { serviceRevisionArns: [GOOD_14_REVISION] });
    expect(ecrMock).not.toHaveReceivedCommand(DescribeImagesCommand);
  });

  it('follows every page of the deployment history', async () => {
    // Prepare
    const [good14, good13] = fixture<{ serviceDeployments: object[] }>('ecs-list-service-deployments').serviceDeployments;
    withHistory();
    ecsMock
      .on(ListServiceDeploymentsCommand)
      .resolvesOnce({ serviceDeployments: [good13 as never], nextToken: 'page-2' })
      .resolvesOnce({ serviceDeployments: [good14 as never] });

    // Act
    const target = await handler(stateWith());

    // Assess
    expect(target.taskDefinitionArn).toBe(TD(14));
    expect(ecsMock).toHaveReceivedCommandWith(ListServiceDeploymentsCommand, { nextToken: 'page-2' });
    expect(ecsMock).toHaveReceivedCommandWith(DescribeServiceDeploymentsCommand, { serviceDeploymentArns: [GOOD_14_DEPLOYMENT] });
  });

  it('rolls back to the ACTIVE deployment while the failing one is still in flight', async () => {
    // Prepare
    ecsMock.on(DescribeServicesCommand).resolves(fixture('ecs-describe-services-in-flight'));

    // Act
    const target = await handler(stateWith());

    // Assess
    expect(target).toMatchObject({
      outcome: 'rollback',
      source: 'active-deployment',
      reason: REASONS.ACTIVE_DEPLOYMENT_IN_FLIGHT,
      taskDefinitionArn: TD(14),
    });
    expect(ecrMock).not.toHaveReceivedCommand(DescribeImagesCommand);
  });

  it('falls back to the newest ECR image pushed before the current one, never the current digest', async () => {
    // Act
    const target = await handler(stateWith());

    // Assess
    expect(target).toMatchObject({
      outcome: 'rollback',
      source: 'ecr',
      reason: REASONS.PREVIOUS_ECR_IMAGE,
      image: { repositoryUri: REPO, tag: '14', digest: digest(14) },
    });
    expect(target.image?.digest).not.toBe(digest(15));
    expect(ecrMock).toHaveReceivedCommandWith(DescribeImagesCommand, { repositoryName: 'riderapp' });
  });

  it('skips with NoPreviousVersion when history, deployments and ECR hold nothing older', async () => {
    // Prepare
    const images = fixture<{ imageDetails: { imageTags?: string[] }[] }>('ecr-describe-images-riderapp');
    ecrMock.on(DescribeImagesCommand).resolves({ imageDetails: images.imageDetails.filter((d) => d.imageTags?.includes('15')) as never });

    // Act
    const target = await handler(stateWith());

    // Assess
    expect(target).toMatchObject({ outcome: 'skip', source: 'none', reason: REASONS.NO_PREVIOUS_VERSION, current: { arn: TD(15) } });
    expect(target.message).toMatch(/^No earlier version of riderapp-service to roll back to/);
    expect(target.taskDefinitionArn).toBeUndefined();
    expect(target.image).toBeUndefined();
  });

  it('skips with AlreadyOnTarget when the last successful deployment ran the same riderapp:15', async () => {
    // Prepare
    withHistory(TD(15));

    // Act
    const target = await handler(stateWith());

    // Assess
    expect(target).toMatchObject({ outcome: 'skip', source: 'deployment-history', reason: REASONS.ALREADY_ON_TARGET, taskDefinitionArn: TD(15) });
  });
});

describe('ResolveTarget: a service whose images come from elsewhere than the configured ECR repository', () => {
  /** riderapp:15 with every image from another registry: no container matches ECR repository riderapp. */
  function runningImagesFrom(image: (name: string) => string): void {
    const described = fixture<{ taskDefinition: { containerDefinitions: { name: string; image: string }[] } }>('ecs-task-definition-riderapp-15');
    for (const container of described.taskDefinition.containerDefinitions) container.image = image(container.name);
    ecsMock.on(DescribeTaskDefinitionCommand, { taskDefinition: TD(15) }).resolves(described as never);
  }

  it.each([
    ['another registry', (name: string) => `ghcr.io/riderapp/${name}:15`],
    ['an ECR repository named differently', (name: string) => `111122223333.dkr.ecr.us-east-1.amazonaws.com/rider-${name}:15`],
  ])('rolls back to riderapp:14 from the deployment history when images come from %s', async (_where, image) => {
    // Prepare
    runningImagesFrom(image);
    withHistory();

    // Act
    const target = await handler(stateWith());

    // Assess
    expect(target).toMatchObject({ outcome: 'rollback', source: 'deployment-history', taskDefinitionArn: TD(14), current: { arn: TD(15) } });
    expect(ecrMock).not.toHaveReceivedCommand(DescribeImagesCommand);
  });

  it('rolls back to the ACTIVE deployment in flight when images come from another registry', async () => {
    // Prepare
    runningImagesFrom((name) => `ghcr.io/riderapp/${name}:15`);
    ecsMock.on(DescribeServicesCommand).resolves(fixture('ecs-describe-services-in-flight'));

    // Act
    const target = await handler(stateWith());

    // Assess
    expect(target).toMatchObject({ outcome: 'rollback', source: 'active-deployment', taskDefinitionArn: TD(14) });
  });

  it('rolls back to an explicit task definition when images come from another registry', async () => {
    // Prepare
    runningImagesFrom((name) => `ghcr.io/riderapp/${name}:15`);

    // Act
    const target = await handler(stateWith({ taskDefinition: 'riderapp:14' }));

    // Assess
    expect(target).toMatchObject({ outcome: 'rollback', source: 'explicit-task-definition', taskDefinitionArn: TD(14) });
  });

  it('names serviceConfig.ecrRepository only when it needs the ECR fallback and no container uses that repository', async () => {
    // Prepare
    runningImagesFrom((name) => `ghcr.io/riderapp/${name}:15`);

    // Act
    const resolving = handler(stateWith());

    // Assess
    await expect(resolving).rejects.toThrow(ValidationError);
    await expect(resolving).rejects.toMatchObject({ field: 'serviceConfig.ecrRepository' });
    expect(ecsMock).toHaveReceivedCommand(ListServiceDeploymentsCommand);
    expect(ecrMock).not.toHaveReceivedCommand(DescribeImagesCommand);
  });
});
