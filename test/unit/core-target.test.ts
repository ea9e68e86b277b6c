import { describe, expect, it } from 'vitest';
import { REASONS } from '../../lambdas/core/reasons';
import {
  type EcrImage,
  failingDeployment,
  goodRevisionArn,
  pickActiveDeployment,
  pickPreviousImage,
  pickPreviousSuccessfulDeployment,
  resolveTarget,
  type ServiceSnapshot,
  type TargetFacts,
} from '../../lambdas/core/target';
import type { TaskDefinitionRef } from '../../lambdas/shared/types';

const REPO = '111122223333.dkr.ecr.us-east-1.amazonaws.com/riderapp';
const TD = (revision: number) => `arn:aws:ecs:us-east-1:111122223333:task-definition/riderapp:${revision}`;
const SD = (id: string) => `arn:aws:ecs:us-east-1:111122223333:service-deployment/riderapp-cluster/riderapp-service/${id}`;
const digest = (n: number) => `sha256:${String(n).repeat(32)}`;

const image = (n: number, pushedAt: string | undefined, tags: string[] = [String(n)]): EcrImage => ({
  registryId: '111122223333',
  repositoryName: 'riderapp',
  digest: digest(n),
  tags,
  ...(pushedAt !== undefined ? { pushedAt } : {}),
});

const riderapp15: TaskDefinitionRef = {
  arn: TD(15),
  family: 'riderapp',
  revision: 15,
  images: [{ containerName: 'app', image: `${REPO}:15` }],
};

const facts = (extra: Partial<TargetFacts> = {}): TargetFacts => ({
  service: 'riderapp-service',
  ecrRepository: 'riderapp',
  current: riderapp15,
  currentDigests: [digest(15)],
  ...extra,
});

const failedService: ServiceSnapshot = {
  taskDefinition: TD(15),
  currentServiceDeployment: SD('Bad15'),
  deployments: [{ id: 'ecs-svc/15', status: 'PRIMARY', taskDefinition: TD(15), createdAt: '2026-11-29T11:45:00.000Z', rolloutState: 'FAILED' }],
};

describe('resolveTarget', () => {
  it('rolls back riderapp:15 to riderapp:14 after a failed deployment', () => {
    // Act
    const decision = resolveTarget(facts({ previousDeploymentTaskDefinitionArn: TD(14) }));

    // Assess
    expect(decision).toEqual({
      outcome: 'rollback',
      source: 'deployment-history',
      reason: REASONS.PREVIOUS_SUCCESSFUL_DEPLOYMENT,
      message:
        'Rolling back riderapp-service from riderapp:15 to riderapp:14, the last deployment ECS reports as successful before the failing one.',
      current: riderapp15,
      taskDefinitionArn: TD(14),
    });
  });

  it('prefers an explicit target over every automatic one', () => {
    // Act
    const decision = resolveTarget(
      facts({ explicitTaskDefinitionArn: TD(12), previousDeploymentTaskDefinitionArn: TD(14), activeDeploymentTaskDefinitionArn: TD(14) }),
    );

    // Assess
    expect(decision).toMatchObject({ outcome: 'rollback', source: 'explicit-task-definition', taskDefinitionArn: TD(12) });
  });

  it.each([
    [{ activeDeploymentTaskDefinitionArn: TD(14) }, 'active-deployment', REASONS.ACTIVE_DEPLOYMENT_IN_FLIGHT],
    [{ previousImage: { repositoryUri: REPO, tag: '14', digest: digest(14) } }, 'ecr', REASONS.PREVIOUS_ECR_IMAGE],
    [{ explicitImage: { repositoryUri: REPO, tag: '14', digest: digest(14) } }, 'explicit-image', REASONS.EXPLICIT_IMAGE],
  ])('rolls back to %j (source %s)', (extra, source, reason) => {
    // Act
    const decision = resolveTarget(facts(extra));

    // Assess
    expect(decision).toMatchObject({ outcome: 'rollback', source, reason });
  });

  it('pins an image target by digest and says which image in the message', () => {
    // Act
    const decision = resolveTarget(facts({ previousImage: { repositoryUri: REPO, tag: '14', digest: digest(14) } }));

    // Assess
    expect(decision.image).toEqual({ repositoryUri: REPO, tag: '14', digest: digest(14) });
    expect(decision.message).toBe(
      'Rolling back riderapp-service from riderapp:15 to image riderapp:14@sha256:141414141414, the newest image pushed to riderapp before the current one.',
    );
  });

  it('skips with NoPreviousVersion when nothing earlier exists', () => {
    // Act
    const decision = resolveTarget(facts());

    // Assess
    expect(decision).toEqual({
      outcome: 'skip',
      source: 'none',
      reason: REASONS.NO_PREVIOUS_VERSION,
      message:
        'No earlier version of riderapp-service to roll back to: ECS reports no successful deployment before riderapp:15, ' +
        'no other deployment is running, and ECR repository riderapp holds no image pushed before the current one. Nothing was changed.',
      current: riderapp15,
    });
  });

  it.each([
    ['the same task definition', { explicitTaskDefinitionArn: TD(15) }],
    ['the same image digest', { explicitImage: { repositoryUri: REPO, tag: 'latest', digest: digest(15) } }],
  ])('skips with AlreadyOnTarget when the target is %s as what runs now', (_what, extra) => {
    // Act
    const decision = resolveTarget(facts(extra));

    // Assess
    expect(decision).toMatchObject({ outcome: 'skip', reason: REASONS.ALREADY_ON_TARGET });
    expect(decision.message).toMatch(/^riderapp-service already runs .* nothing was changed\.$/);
  });

  it('rolls back to an image when the current digest is unknown', () => {
    // Act
    const decision = resolveTarget(facts({ currentDigests: [undefined], explicitImage: { repositoryUri: REPO, digest: digest(15) } }));

    // Assess
    expect(decision.outcome).toBe('rollback');
  });
});

describe('deployment history', () => {
  const history = [
    { arn: SD('Good13'), status: 'SUCCESSFUL', createdAt: '2026-11-20T15:00:00.000Z' },
    { arn: SD('Good14'), status: 'SUCCESSFUL', createdAt: '2026-11-28T09:12:00.000Z' },
    { arn: SD('Later16'), status: 'SUCCESSFUL', createdAt: '2026-11-29T12:30:00.000Z' },
  ];

  it('picks the newest successful deployment created before the failing one', () => {
    // Act
    const previous = pickPreviousSuccessfulDeployment(history, failedService, failingDeployment(failedService, 'ecs-svc/15'));

    // Assess
    expect(previous?.arn).toBe(SD('Good14'));
  });

  it('never picks the current service deployment, even when it succeeded before an alarm', () => {
    // Prepare
    const alarmed: ServiceSnapshot = { ...failedService, currentServiceDeployment: SD('Good15') };
    const withCurrent = [...history, { arn: SD('Good15'), status: 'SUCCESSFUL', createdAt: '2026-11-29T11:44:59.000Z' }];

    // Act
    const previous = pickPreviousSuccessfulDeployment(withCurrent, alarmed, failingDeployment(alarmed));

    // Assess
    expect(previous?.arn).toBe(SD('Good14'));
  });

  it.each([
    ['SUCCESSFUL', 'target', 'target'],
    ['ROLLBACK_SUCCESSFUL', 'target', 'rollback'],
    ['STOPPED', 'target', undefined],
  ])('takes the good revision of a %s deployment from its %s', (status, _from, expected) => {
    // Act
    const arn = goodRevisionArn({ arn: SD('x'), status, targetServiceRevisionArn: 'target', rollbackServiceRevisionArn: 'rollback' });

    // Assess
    expect(arn).toBe(expected);
  });

  it('picks the ACTIVE deployment beside a failing PRIMARY', () => {
    // Prepare
    const inFlight: ServiceSnapshot = {
      ...failedService,
      deployments: [
        ...failedService.deployments,
        { id: 'ecs-svc/14', status: 'ACTIVE', taskDefinition: TD(14), createdAt: '2026-11-28T09:12:00.000Z' },
      ],
    };

    // Act
    const active = pickActiveDeployment(inFlight, failingDeployment(inFlight, 'ecs-svc/15'));

    // Assess
    expect(active?.taskDefinition).toBe(TD(14));
  });
});

describe('previous ECR image', () => {
  it.each([
    [
      'the current image is also the newest push',
      [image(13, '2026-11-20T14:50:00Z'), image(14, '2026-11-28T09:00:00Z'), image(15, '2026-11-29T11:35:00Z')],
      14,
    ],
    [
      'an older image was re-pushed after the current one',
      [image(13, '2026-11-29T12:10:00Z'), image(14, '2026-11-28T09:00:00Z'), image(15, '2026-11-29T11:35:00Z')],
      14,
    ],
    [
      'a newer build was pushed but never deployed',
      [image(14, '2026-11-28T09:00:00Z'), image(15, '2026-11-29T11:35:00Z'), image(16, '2026-11-29T12:00:00Z')],
      14,
    ],
    [
      'the newest older image has no push time',
      [image(13, '2026-11-20T14:50:00Z'), image(14, undefined), image(15, '2026-11-29T11:35:00Z')],
      13,
    ],
    [
      'the newest older image is untagged',
      [image(13, '2026-11-20T14:50:00Z'), image(14, '2026-11-28T09:00:00Z', []), image(15, '2026-11-29T11:35:00Z')],
      13,
    ],
  ])('picks the newest image pushed before the current one when %s', (_case, listed, expected) => {
    // Act
    const previous = pickPreviousImage(listed, [`${REPO}:15`]);

    // Assess
    expect(previous?.digest).toBe(digest(expected));
  });

  it.each([
    ['pinned by digest', `${REPO}@${digest(15)}`],
    ['by a tag added later', `${REPO}:stable`],
  ])('never picks the current digest, even re-tagged, when it runs %s', (_how, running) => {
    // Prepare
    const listed = [image(13, '2026-11-20T14:50:00Z'), image(14, '2026-11-28T09:00:00Z'), image(15, '2026-11-29T11:35:00Z', ['15', 'stable'])];

    // Act
    const previous = pickPreviousImage(listed, [running]);

    // Assess
    expect(previous?.digest).toBe(digest(14));
  });

  it('finds nothing when the current image is not in the repository', () => {
    // Act
    const previous = pickPreviousImage([image(13, '2026-11-20T14:50:00Z'), image(14, '2026-11-28T09:00:00Z')], [`${REPO}:15`]);

    // Assess
    expect(previous).toBeUndefined();
  });

  it('finds nothing when only the current image exists', () => {
    // Act
    const previous = pickPreviousImage([image(15, '2026-11-29T11:35:00Z')], [`${REPO}:15`]);

    // Assess
    expect(previous).toBeUndefined();
  });
});
