import type { RegisterTaskDefinitionRequest, TaskDefinition } from '@aws-sdk/client-ecs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  copyForRegistration,
  EXECUTION_TAG_KEY,
  isImageFromRepository,
  parseImageReference,
  type ReadOnlyTaskDefinitionField,
  selectProjectContainers,
} from '../../lambdas/core/task-definition';
import { ValidationError } from '../../lambdas/shared/errors';
import riderapp15 from '../fixtures/aws/ecs-task-definition-riderapp-15.json';

const REPO = '111122223333.dkr.ecr.us-east-1.amazonaws.com/riderapp';
const DIGEST_14 = `sha256:${'14'.repeat(32)}`;
const EXECUTION = 'arn:aws:states:us-east-1:111122223333:execution:riderapp-rollback:manual-42';
const current = riderapp15.taskDefinition;

describe('image references', () => {
  it.each([
    [`${REPO}:15`, { registry: '111122223333.dkr.ecr.us-east-1.amazonaws.com', repository: 'riderapp', tag: '15' }],
    [`${REPO}@${DIGEST_14}`, { registry: '111122223333.dkr.ecr.us-east-1.amazonaws.com', repository: 'riderapp', digest: DIGEST_14 }],
    [`${REPO}:14@${DIGEST_14}`, { registry: '111122223333.dkr.ecr.us-east-1.amazonaws.com', repository: 'riderapp', tag: '14', digest: DIGEST_14 }],
    ['public.ecr.aws/datadog/agent:7', { registry: 'public.ecr.aws', repository: 'datadog/agent', tag: '7' }],
    ['localhost:5000/riderapp', { registry: 'localhost:5000', repository: 'riderapp' }],
    ['envoyproxy/envoy:v1.29', { repository: 'envoyproxy/envoy', tag: 'v1.29' }],
  ])('splits %s into its parts', (image, parts) => {
    // Act
    const reference = parseImageReference(image);

    // Assess
    expect(reference).toEqual(parts);
  });

  it.each([
    [`${REPO}:15`, true],
    [`${REPO}@${DIGEST_14}`, true],
    ['111122223333.dkr-ecr.us-east-1.on.aws/riderapp:15', true],
    ['840364872350.dkr.ecr.us-east-1.amazonaws.com/aws-appmesh-envoy:v1.29.6.0-prod', false],
    ['111122223333.dkr.ecr.us-east-1.amazonaws.com/riderapp-worker:15', false],
    ['public.ecr.aws/riderapp:15', false],
    ['riderapp:15', false],
  ])('knows whether %s comes from the riderapp repository (%s)', (image, expected) => {
    // Act
    const fromRepository = isImageFromRepository(image, 'riderapp');

    // Assess
    expect(fromRepository).toBe(expected);
  });

});

describe('project containers', () => {
  it('picks the app container, not the envoy sidecar listed first nor the datadog agent', () => {
    // Act
    const names = selectProjectContainers(current, { ecrRepository: 'riderapp' });

    // Assess
    expect(names).toEqual(['app']);
  });

  it('uses serviceConfig.containerNames when given', () => {
    // Act
    const names = selectProjectContainers(current, { ecrRepository: 'riderapp', containerNames: ['app', 'datadog-agent'] });

    // Assess
    expect(names).toEqual(['app', 'datadog-agent']);
  });

  it.each([
    [{ ecrRepository: 'riderapp', containerNames: ['worker'] }, 'serviceConfig.containerNames', /worker not found in riderapp:15/],
    [{ ecrRepository: 'driverapp' }, 'serviceConfig.ecrRepository', /no container of riderapp:15 runs an image from ECR repository driverapp/],
  ])('refuses %j with a ValidationError naming the field', (config, field, message) => {
    // Act
    const select = () => selectProjectContainers(current, config);

    // Assess
    expect(select).toThrow(ValidationError);
    expect(select).toThrow(message);
    expect(select).toThrow(expect.objectContaining({ field }));
  });
});

describe('copy for registration', () => {
  it('swaps only the app image, pinned by digest, and keeps every other container as it was', () => {
    // Act
    const copy = copyForRegistration(current, riderapp15.tags, {
      executionId: EXECUTION,
      swap: { containerNames: ['app'], image: `${REPO}@${DIGEST_14}` },
    });

    // Assess
    expect(copy.containerDefinitions.map((c) => [c.name, c.image])).toEqual([
      ['envoy', '840364872350.dkr.ecr.us-east-1.amazonaws.com/aws-appmesh-envoy:v1.29.6.0-prod'],
      ['app', `${REPO}@${DIGEST_14}`],
      ['datadog-agent', 'public.ecr.aws/datadog/agent:7'],
    ]);
    expect(copy.containerDefinitions[1]).toEqual({ ...current.containerDefinitions[1], image: `${REPO}@${DIGEST_14}` });
    expect(current.containerDefinitions[1]?.image).toBe(`${REPO}:15`);
  });

  it('removes the fields RegisterTaskDefinition does not take and keeps the rest', () => {
    // Act
    const copy = copyForRegistration(current, [], { executionId: EXECUTION });

    // Assess
    for (const field of ['taskDefinitionArn', 'revision', 'status', 'requiresAttributes', 'compatibilities', 'registeredAt', 'registeredBy']) {
      expect(copy).not.toHaveProperty(field);
    }
    expect(copy).toMatchObject({
      family: 'riderapp',
      taskRoleArn: current.taskRoleArn,
      executionRoleArn: current.executionRoleArn,
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '512',
      memory: '1280',
      proxyConfiguration: current.proxyConfiguration,
      runtimePlatform: current.runtimePlatform,
    });
  });

  it('carries the tags over without aws: keys and tags the copy with the execution', () => {
    // Act
    const copy = copyForRegistration(current, [...riderapp15.tags, { key: EXECUTION_TAG_KEY, value: 'an-earlier-execution' }], {
      executionId: EXECUTION,
    });

    // Assess
    expect(copy.tags).toEqual([
      { key: 'team', value: 'riders' },
      { key: 'git-commit', value: 'e83c5163316f89bfbde7d9ab23ca2e25604af290' },
      { key: EXECUTION_TAG_KEY, value: EXECUTION },
    ]);
  });

  it('lists exactly the fields DescribeTaskDefinition returns and RegisterTaskDefinition does not take', () => {
    // Assess
    expectTypeOf<Exclude<keyof TaskDefinition, keyof RegisterTaskDefinitionRequest>>().toEqualTypeOf<ReadOnlyTaskDefinitionField>();
  });
});
