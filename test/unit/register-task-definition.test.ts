import {
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EXECUTION_TAG_KEY } from '../../lambdas/core/task-definition';
import { handler } from '../../lambdas/register-task-definition/handler';
import { ValidationError } from '../../lambdas/shared/errors';
import type { RollbackState, ServiceConfig, TargetResolution } from '../../lambdas/shared/types';
import riderapp14Inactive from '../fixtures/aws/ecs-task-definition-riderapp-14-inactive.json';
import riderapp14 from '../fixtures/aws/ecs-task-definition-riderapp-14.json';
import riderapp15 from '../fixtures/aws/ecs-task-definition-riderapp-15.json';

const REPO = '111122223333.dkr.ecr.us-east-1.amazonaws.com/riderapp';
const TD = (revision: number) => `arn:aws:ecs:us-east-1:111122223333:task-definition/riderapp:${revision}`;
const DIGEST_14 = `sha256:${'14'.repeat(32)}`;
const EXECUTION = 'arn:aws:states:us-east-1:111122223333:execution:riderapp-rollback:e1';
const ENVOY = '840364872350.dkr.ecr.us-east-1.amazonaws.com/aws-appmesh-envoy:v1.29.6.0-prod';
const DATADOG = 'public.ecr.aws/datadog/agent:7';

const ecsMock = mockClient(ECSClient);

const current = {
  arn: TD(15),
  family: 'riderapp',
  revision: 15,
  images: [
    { containerName: 'envoy', image: ENVOY },
    { containerName: 'app', image: `${REPO}:15` },
    { containerName: 'datadog-agent', image: DATADOG },
  ],
};

function stateWith(target: Partial<TargetResolution>, serviceConfig: Partial<ServiceConfig> = {}): RollbackState {
  return {
    input: {},
    settings: { pollIntervalSeconds: 15, stabilizationTimeoutSeconds: 900 },
    execution: { id: EXECUTION, startTime: '2026-11-29T11:58:30Z' },
    request: {
      trigger: { kind: 'deployment-failed', id: 'ecs-svc/5826139740216533215', time: '2026-11-29T11:58:30Z', summary: 'failed' },
      region: 'us-east-1',
      cluster: 'riderapp-cluster',
      service: 'riderapp-service',
      serviceConfig: { cluster: 'riderapp-cluster', service: 'riderapp-service', ecrRepository: 'riderapp', alarmNames: [], ...serviceConfig },
      dryRun: false,
      rollbackType: 'application',
      action: 'rollback',
      lockHeld: true,
      preparedAt: '2026-11-29T11:58:31Z',
    },
    target: {
      outcome: 'rollback',
      source: 'ecr',
      reason: 'PreviousEcrImage',
      message: 'Rolling back',
      current,
      resolvedAt: '2026-11-29T11:58:32Z',
      ...target,
    },
  };
}

const imageTarget = { image: { repositoryUri: REPO, tag: '14', digest: DIGEST_14 } };

function registeredInput(): RegisterTaskDefinitionCommandInput {
  const [call] = ecsMock.commandCalls(RegisterTaskDefinitionCommand);
  if (call === undefined) throw new Error('RegisterTaskDefinition was not called');
  return call.args[0].input;
}

beforeEach(() => {
  ecsMock.reset();
  ecsMock.on(DescribeTaskDefinitionCommand, { taskDefinition: TD(15) }).resolves(riderapp15 as never);
  ecsMock.on(DescribeTaskDefinitionCommand, { taskDefinition: TD(14) }).resolves(riderapp14 as never);
  ecsMock.on(RegisterTaskDefinitionCommand).callsFake((input: RegisterTaskDefinitionCommandInput) => ({
    taskDefinition: { ...input, taskDefinitionArn: TD(16), revision: 16, status: 'ACTIVE' } as TaskDefinition,
    tags: input.tags,
  }));
});

describe('RegisterTaskDefinition: an image target', () => {
  it('registers a copy of riderapp:15 whose app container runs riderapp@digest of 14, sidecars untouched', async () => {
    // Act
    const registration = await handler(stateWith(imageTarget));

    // Assess
    expect(registration).toMatchObject({
      taskDefinitionArn: TD(16),
      family: 'riderapp',
      revision: 16,
      registered: true,
      images: [
        { containerName: 'envoy', image: ENVOY },
        { containerName: 'app', image: `${REPO}@${DIGEST_14}` },
        { containerName: 'datadog-agent', image: DATADOG },
      ],
    });
    expect(ecsMock).toHaveReceivedCommandWith(DescribeTaskDefinitionCommand, { taskDefinition: TD(15), include: ['TAGS'] });
    expect(ecsMock).toHaveReceivedCommandTimes(RegisterTaskDefinitionCommand, 1);
    expect(registeredInput().containerDefinitions).toEqual(
      riderapp15.taskDefinition.containerDefinitions.map((c) => (c.name === 'app' ? { ...c, image: `${REPO}@${DIGEST_14}` } : c)),
    );
  });

  it('sends no read-only field and keeps the task settings of the current revision', async () => {
    // Act
    await handler(stateWith(imageTarget));

    // Assess
    const input = registeredInput();
    for (const field of ['taskDefinitionArn', 'revision', 'status', 'requiresAttributes', 'compatibilities', 'registeredAt', 'registeredBy', 'deregisteredAt']) {
      expect(input).not.toHaveProperty(field);
    }
    const { family, taskRoleArn, executionRoleArn, networkMode, cpu, memory, proxyConfiguration, runtimePlatform } = riderapp15.taskDefinition;
    expect(input).toMatchObject({ family, taskRoleArn, executionRoleArn, networkMode, cpu, memory, proxyConfiguration, runtimePlatform });
  });

  it('keeps the tags without aws: keys and tags the copy with the execution id', async () => {
    // Act
    await handler(stateWith(imageTarget));

    // Assess
    expect(registeredInput().tags).toEqual([
      { key: 'team', value: 'riders' },
      { key: 'git-commit', value: 'e83c5163316f89bfbde7d9ab23ca2e25604af290' },
      { key: EXECUTION_TAG_KEY, value: EXECUTION },
    ]);
  });

  it('swaps the containers serviceConfig.containerNames names', async () => {
    // Act
    const registration = await handler(stateWith(imageTarget, { containerNames: ['app'] }));

    // Assess
    expect(registration.images.filter((i) => i.image.includes(DIGEST_14)).map((i) => i.containerName)).toEqual(['app']);
  });

  it.each([
    [{ containerNames: ['worker'] }, 'serviceConfig.containerNames'],
    [{ ecrRepository: 'driverapp' }, 'serviceConfig.ecrRepository'],
  ])('refuses %j with a ValidationError and registers nothing', async (serviceConfig, field) => {
    // Act
    const registering = handler(stateWith(imageTarget, serviceConfig));

    // Assess
    await expect(registering).rejects.toThrow(ValidationError);
    await expect(registering).rejects.toThrow(field);
    expect(ecsMock).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand);
  });
});

describe('RegisterTaskDefinition: a known-good revision', () => {
  it('reuses the ACTIVE riderapp:14 as it is, without RegisterTaskDefinition', async () => {
    // Act
    const registration = await handler(stateWith({ source: 'deployment-history', taskDefinitionArn: TD(14) }));

    // Assess
    expect(registration).toMatchObject({ taskDefinitionArn: TD(14), family: 'riderapp', revision: 14, registered: false });
    expect(registration.images.find((i) => i.containerName === 'app')?.image).toBe(`${REPO}:14`);
    expect(ecsMock).toHaveReceivedCommandWith(DescribeTaskDefinitionCommand, { taskDefinition: TD(14) });
    expect(ecsMock).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand);
  });

  it('re-registers an INACTIVE riderapp:14 as a copy with the same containers', async () => {
    // Prepare
    ecsMock.on(DescribeTaskDefinitionCommand, { taskDefinition: TD(14) }).resolves(riderapp14Inactive as never);

    // Act
    const registration = await handler(stateWith({ source: 'explicit-task-definition', taskDefinitionArn: TD(14) }));

    // Assess
    expect(registration).toMatchObject({ taskDefinitionArn: TD(16), registered: true });
    const input = registeredInput();
    expect(input.containerDefinitions).toEqual(riderapp14Inactive.taskDefinition.containerDefinitions);
    expect(input).not.toHaveProperty('deregisteredAt');
    expect(input.tags).toContainEqual({ key: EXECUTION_TAG_KEY, value: EXECUTION });
  });
});

describe('RegisterTaskDefinition: bad input', () => {
  it.each([
    ['a skip outcome', { outcome: 'skip' as const, taskDefinitionArn: TD(14) }, 'target.outcome'],
    ['no taskDefinitionArn nor image digest', { image: { repositoryUri: REPO, tag: '14' } }, 'target'],
  ])('refuses %s with a ValidationError and changes nothing', async (_what, target, field) => {
    // Act
    const registering = handler(stateWith(target));

    // Assess
    await expect(registering).rejects.toThrow(ValidationError);
    await expect(registering).rejects.toMatchObject({ field });
    expect(ecsMock).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand);
  });
});
