import {
  DescribeRepositoriesCommand,
  DescribeImagesCommand,
  ECRClient,
  BatchGetImageCommand,
} from '@aws-sdk/client-ecr';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListClustersCommand,
  RegisterTaskDefinitionCommand,
  TagResourceCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import {
  DescribeLoadBalancersCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ListTopicsCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type StandIn, startStandIn } from '../../local/stand-in/index';

let standIn: StandIn;
let ecs: ECSClient;
let ecr: ECRClient;
let elbv2: ElasticLoadBalancingV2Client;
let sns: SNSClient;
const savedEnv: Record<string, string | undefined> = {};

async function errorOf(promise: Promise<unknown>): Promise<{ name: string; message: string; $fault?: string; $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as { name: string; message: string };
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  standIn = await startStandIn({ speed: 0, riderapp: true, start: Date.parse('2025-06-02T09:00:00Z') });
  for (const [key, value] of Object.entries(standIn.env)) {
    savedEnv[key] = process.env[key];
    process.env[key] = value;
  }
  // Unmodified clients: the endpoint comes from AWS_ENDPOINT_URL_<SERVICE> only.
  ecs = new ECSClient({ maxAttempts: 1 });
  ecr = new ECRClient({ maxAttempts: 1 });
  elbv2 = new ElasticLoadBalancingV2Client({ maxAttempts: 1 });
  sns = new SNSClient({ maxAttempts: 1 });
});

afterAll(async () => {
  for (const client of [ecs, ecr, elbv2, sns]) client.destroy();
  await standIn.stop();
  for (const [key, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

beforeEach(() => {
  standIn.faults.clear();
  standIn.calls.clear();
});

describe('the stand-in speaks ECS (JSON 1.1) to an unmodified ECSClient', () => {
  it('describes riderapp-service running riderapp:14 with one completed PRIMARY deployment', async () => {
    // Prepare
    const cluster = 'riderapp-cluster';

    // Act
    const out = await ecs.send(new DescribeServicesCommand({ cluster, services: ['riderapp-service'] }));

    // Assess
    const service = out.services?.[0];
    expect(service?.taskDefinition).toBe('arn:aws:ecs:us-east-1:111122223333:task-definition/riderapp:14');
    expect(service?.runningCount).toBe(3);
    expect(service?.deployments).toHaveLength(1);
    expect(service?.deployments?.[0]).toMatchObject({ status: 'PRIMARY', rolloutState: 'COMPLETED', runningCount: 3 });
    expect(service?.deployments?.[0]?.id).toMatch(/^ecs-svc\/\d{19}$/);
    expect(service?.deployments?.[0]?.createdAt).toEqual(new Date('2025-05-31T09:00:00Z'));
    expect(service?.currentServiceDeployment).toMatch(/:service-deployment\/riderapp-cluster\/riderapp-service\//);
  });

  it('reports an unknown service as a MISSING failure, as DescribeServices does', async () => {
    // Act
    const out = await ecs.send(new DescribeServicesCommand({ cluster: 'riderapp-cluster', services: ['riderapp-api'] }));

    // Assess
    expect(out.services).toEqual([]);
    expect(out.failures).toEqual([{ arn: 'arn:aws:ecs:us-east-1:111122223333:service/riderapp-cluster/riderapp-api', reason: 'MISSING' }]);
  });

  it.each([
    ['an unknown cluster', new DescribeServicesCommand({ cluster: 'payments-cluster', services: ['riderapp-service'] }), 'ClusterNotFoundException'],
    ['an unknown service', new UpdateServiceCommand({ cluster: 'riderapp-cluster', service: 'riderapp-api', taskDefinition: 'riderapp:14' }), 'ServiceNotFoundException'],
    ['an unknown task definition', new UpdateServiceCommand({ cluster: 'riderapp-cluster', service: 'riderapp-service', taskDefinition: 'riderapp:99' }), 'ClientException'],
    ['describing riderapp:99', new DescribeTaskDefinitionCommand({ taskDefinition: 'riderapp:99' }), 'ClientException'],
  ])('answers %s with %s', async (_case, command, name) => {
    // Act
    const error = await errorOf(ecs.send(command as DescribeServicesCommand));

    // Assess
    expect(error.name).toBe(name);
    expect(error.$fault).toBe('client');
  });

  it('registers riderapp:16 as a copy of riderapp:14 and describes it back with its tags', async () => {
    // Prepare
    const current = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'riderapp:14', include: ['TAGS'] }));
    const { containerDefinitions, family, cpu, memory, networkMode, requiresCompatibilities, executionRoleArn, taskRoleArn } = current.taskDefinition!;

    // Act
    const registered = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: family!,
        containerDefinitions: containerDefinitions!,
        cpu,
        memory,
        networkMode,
        requiresCompatibilities,
        executionRoleArn,
        taskRoleArn,
        tags: [...(current.tags ?? []), { key: 'rolled-back-from', value: 'riderapp:15' }],
      }),
    );
    const described = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'riderapp:16', include: ['TAGS'] }));

    // Assess
    expect(registered.taskDefinition?.revision).toBe(16);
    expect(described.taskDefinition?.containerDefinitions?.[0]?.image).toBe('111122223333.dkr.ecr.us-east-1.amazonaws.com/riderapp:v14');
    expect(described.taskDefinition?.registeredAt).toEqual(new Date('2025-06-02T09:00:00Z'));
    expect(described.tags).toContainEqual({ key: 'rolled-back-from', value: 'riderapp:15' });
    expect(described.tags).toContainEqual({ key: 'project', value: 'riderapp' });
  });

  it('tags a task definition so DescribeTaskDefinition include TAGS shows it', async () => {
    // Act
    await ecs.send(
      new TagResourceCommand({
        resourceArn: 'arn:aws:ecs:us-east-1:111122223333:task-definition/riderapp:13',
        tags: [{ key: 'known-good', value: 'true' }],
      }),
    );
    const described = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'riderapp:13', include: ['TAGS'] }));

    // Assess
    expect(described.tags).toContainEqual({ key: 'known-good', value: 'true' });
  });

  it('logs UpdateService once, with riderapp:13, and starts a deployment of it', async () => {
    // Act
    const out = await ecs.send(new UpdateServiceCommand({ cluster: 'riderapp-cluster', service: 'riderapp-service', taskDefinition: 'riderapp:13' }));

    // Assess
    expect(out.service?.deployments?.[0]).toMatchObject({
      status: 'PRIMARY',
      taskDefinition: 'arn:aws:ecs:us-east-1:111122223333:task-definition/riderapp:13',
      rolloutState: 'IN_PROGRESS',
      runningCount: 0,
    });
    expect(out.service?.deployments?.[1]).toMatchObject({ status: 'ACTIVE', runningCount: 3 });
    const updates = standIn.calls.of('UpdateService', 'ECS');
    expect(updates).toHaveLength(1);
    expect(updates[0]?.params).toMatchObject({ cluster: 'riderapp-cluster', service: 'riderapp-service', taskDefinition: 'riderapp:13' });
    expect(updates[0]?.modelTime).toBe(Date.parse('2025-06-02T09:00:00Z'));
  });
});

describe('the stand-in speaks ECR (JSON 1.1) to an unmodified ECRClient', () => {
  it('pages through the riderapp images with their tags, digests and push times', async () => {
    // Act
    const first = await ecr.send(new DescribeImagesCommand({ repositoryName: 'riderapp', maxResults: 3 }));
    const second = await ecr.send(new DescribeImagesCommand({ repositoryName: 'riderapp', maxResults: 3, nextToken: first.nextToken }));

    // Assess
    const images = [...(first.imageDetails ?? []), ...(second.imageDetails ?? [])];
    expect(first.imageDetails).toHaveLength(3);
    expect(second.nextToken).toBeUndefined();
    expect(images.map((i) => i.imageTags?.[0])).toEqual(['v12', 'v13', 'v14', 'v15']);
    expect(images.every((i) => /^sha256:[0-9a-f]{64}$/.test(i.imageDigest ?? ''))).toBe(true);
    expect(images.every((i) => i.imageTags?.[1]?.match(/^[0-9a-f]{40}$/))).toBe(true);
    expect(images.every((i) => i.imagePushedAt instanceof Date)).toBe(true);
  });

  it('finds v14 by tag and answers ImageNotFoundException for a tag nobody pushed', async () => {
    // Act
    const found = await ecr.send(new DescribeImagesCommand({ repositoryName: 'riderapp', imageIds: [{ imageTag: 'v14' }] }));
    const error = await errorOf(ecr.send(new DescribeImagesCommand({ repositoryName: 'riderapp', imageIds: [{ imageTag: 'v99' }] })));

    // Assess
    expect(found.imageDetails?.[0]?.imageDigest).toBe(standIn.riderapp?.good.digest);
    expect(error.name).toBe('ImageNotFoundException');
    expect(error.message).toContain("imageTag:'v99'");
  });

  it('describes the riderapp repository and rejects an unknown one', async () => {
    // Act
    const out = await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['riderapp'] }));
    const error = await errorOf(ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['payments'] })));

    // Assess
    expect(out.repositories?.[0]?.repositoryUri).toBe('111122223333.dkr.ecr.us-east-1.amazonaws.com/riderapp');
    expect(error.name).toBe('RepositoryNotFoundException');
  });
});

describe('the stand-in speaks ELBv2 and SNS (Query) to unmodified clients', () => {
  it('describes riderapp-tg and its three healthy ip targets', async () => {
    // Act
    const groups = await elbv2.send(new DescribeTargetGroupsCommand({ Names: ['riderapp-tg'] }));
    const health = await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: standIn.riderapp!.targetGroupArn }));

    // Assess
    expect(groups.TargetGroups?.[0]).toMatchObject({
      TargetGroupArn: standIn.riderapp!.targetGroupArn,
      TargetType: 'ip',
      HealthCheckIntervalSeconds: 30,
      HealthCheckTimeoutSeconds: 6,
      HealthyThresholdCount: 5,
      UnhealthyThresholdCount: 2,
    });
    expect(health.TargetHealthDescriptions?.map((d) => d.TargetHealth?.State)).toEqual(['healthy', 'healthy', 'healthy']);
    expect(health.TargetHealthDescriptions?.[0]?.Target?.Id).toMatch(/^10\.0\.\d+\.\d+$/);
  });

  it('answers TargetGroupNotFoundException for an unknown target group', async () => {
    // Act
    const error = await errorOf(elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: `${standIn.riderapp!.targetGroupArn}0` })));

    // Assess
    expect(error.name).toBe('TargetGroupNotFoundException');
  });

  it('records a published notification with its subject, message and attributes', async () => {
    // Prepare
    const before = standIn.published.length;

    // Act
    const out = await sns.send(
      new PublishCommand({
        TopicArn: standIn.riderapp!.topicArn,
        Subject: 'riderapp-service rolled back to riderapp:14',
        Message: 'riderapp:15 failed; riderapp:14 is running and healthy.',
        MessageAttributes: {
          kind: { DataType: 'String', StringValue: 'success' },
          service: { DataType: 'String', StringValue: 'riderapp-service' },
        },
      }),
    );

    // Assess
    expect(standIn.published).toHaveLength(before + 1);
    expect(standIn.published.at(-1)).toMatchObject({
      messageId: out.MessageId,
      topicArn: 'arn:aws:sns:us-east-1:111122223333:riderapp-rollback-notifications',
      subject: 'riderapp-service rolled back to riderapp:14',
      message: 'riderapp:15 failed; riderapp:14 is running and healthy.',
      messageAttributes: {
        kind: { DataType: 'String', StringValue: 'success' },
        service: { DataType: 'String', StringValue: 'riderapp-service' },
      },
    });
  });

  it('rejects a subject with a line break, as SNS does, and records nothing', async () => {
    // Prepare
    const before = standIn.published.length;

    // Act
    const error = await errorOf(sns.send(new PublishCommand({ TopicArn: standIn.riderapp!.topicArn, Subject: 'two\nlines', Message: 'x' })));

    // Assess
    expect(error.name).toBe('InvalidParameterException');
    expect(standIn.published).toHaveLength(before);
  });
});

describe('operations the stand-in does not implement', () => {
  it.each([
    ['ECS ListClusters', () => ecs.send(new ListClustersCommand({})), 'UnknownOperationException'],
    ['ECR BatchGetImage', () => ecr.send(new BatchGetImageCommand({ repositoryName: 'riderapp', imageIds: [{ imageTag: 'v14' }] })), 'UnknownOperationException'],
    ['ELBv2 DescribeLoadBalancers', () => elbv2.send(new DescribeLoadBalancersCommand({})), 'InvalidAction'],
    ['SNS ListTopics', () => sns.send(new ListTopicsCommand({})), 'InvalidAction'],
  ])('answer %s with an error that names it', async (operation, call, name) => {
    // Act
    const error = await errorOf(call());

    // Assess
    expect(error.name).toBe(name);
    expect(error.message).toBe(`stand-in does not implement ${operation}`);
  });
});

describe('fault injection surfaces as the SDK errors the Lambdas would see', () => {
  it.each([
    ['ECS', 'DescribeServices', 'throttle', 'ThrottlingException', 'client', 400],
    ['ECS', 'UpdateService', 'server-error', 'ServerException', 'server', 500],
    ['ECR', 'DescribeImages', 'throttle', 'ThrottlingException', 'client', 400],
    ['ECR', 'DescribeImages', 'server-error', 'ServerException', 'server', 500],
    ['ELBv2', 'DescribeTargetHealth', 'throttle', 'Throttling', 'client', 400],
    ['ELBv2', 'DescribeTargetHealth', 'server-error', 'InternalFailure', 'server', 500],
    ['SNS', 'Publish', 'throttle', 'ThrottledException', 'client', 429],
    ['SNS', 'Publish', 'server-error', 'InternalErrorException', 'server', 500],
  ] as const)('%s %s with %s → %s ($fault %s, HTTP %i)', async (service, operation, kind, name, fault, status) => {
    // Prepare
    standIn.faults.add({ kind, service, operation, times: 1 });
    const calls = {
      DescribeServices: () => ecs.send(new DescribeServicesCommand({ cluster: 'riderapp-cluster', services: ['riderapp-service'] })),
      UpdateService: () => ecs.send(new UpdateServiceCommand({ cluster: 'riderapp-cluster', service: 'riderapp-service', desiredCount: 3 })),
      DescribeImages: () => ecr.send(new DescribeImagesCommand({ repositoryName: 'riderapp' })),
      DescribeTargetHealth: () => elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: standIn.riderapp!.targetGroupArn })),
      Publish: () => sns.send(new PublishCommand({ TopicArn: standIn.riderapp!.topicArn, Message: 'x' })),
    };

    // Act
    const error = await errorOf(calls[operation]());
    await calls[operation]();

    // Assess
    expect(error.name).toBe(name);
    expect(error.$fault).toBe(fault);
    expect(error.$metadata?.httpStatusCode).toBe(status);
    expect(standIn.calls.of(operation, service).map((c) => c.status)).toEqual([status, 200]);
  });

  it.each([
    ['UpdateService', () => ecs.send(new UpdateServiceCommand({ cluster: 'riderapp-cluster', service: 'riderapp-service', taskDefinition: 'riderapp:14' })), 'ServiceNotFoundException'],
    ['DescribeTaskDefinition', () => ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'riderapp:14' })), 'ClientException'],
    ['DescribeImages', () => ecr.send(new DescribeImagesCommand({ repositoryName: 'riderapp' })), 'RepositoryNotFoundException'],
    ['DescribeTargetHealth', () => elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: standIn.riderapp!.targetGroupArn })), 'TargetGroupNotFoundException'],
    ['Publish', () => sns.send(new PublishCommand({ TopicArn: standIn.riderapp!.topicArn, Message: 'x' })), 'NotFoundException'],
  ])('an unknown-resource fault on %s answers the not-found error', async (operation, call, name) => {
    // Prepare
    standIn.faults.add({ kind: 'not-found', operation });

    // Act
    const error = await errorOf(call());

    // Assess
    expect(error.name).toBe(name);
  });

  it('an unknown-resource fault on DescribeServices reports the service MISSING', async () => {
    // Prepare
    standIn.faults.notFound('ECS', 'DescribeServices', { times: 1 });

    // Act
    const out = await ecs.send(new DescribeServicesCommand({ cluster: 'riderapp-cluster', services: ['riderapp-service'] }));

    // Assess
    expect(out.services).toEqual([]);
    expect(out.failures?.[0]?.reason).toBe('MISSING');
  });

  it('a throttle on the first call is retried away by a default client', async () => {
    // Prepare
    standIn.faults.throttle('ECS', 'DescribeServices', { times: 1 });
    const retrying = new ECSClient({});

    // Act
    const out = await retrying.send(new DescribeServicesCommand({ cluster: 'riderapp-cluster', services: ['riderapp-service'] }));
    retrying.destroy();

    // Assess
    expect(out.services?.[0]?.serviceName).toBe('riderapp-service');
    expect(standIn.calls.of('DescribeServices').map((c) => c.errorCode ?? c.status)).toEqual(['ThrottlingException', 200]);
  });

  it('a 500 that never clears fails every attempt and changes nothing', async () => {
    // Prepare
    const fault = standIn.faults.serverError('ECS', 'UpdateService');
    const before = standIn.model.summary('riderapp-cluster', 'riderapp-service').deployments.length;

    // Act
    const first = await errorOf(ecs.send(new UpdateServiceCommand({ cluster: 'riderapp-cluster', service: 'riderapp-service', taskDefinition: 'riderapp:12' })));
    const second = await errorOf(ecs.send(new UpdateServiceCommand({ cluster: 'riderapp-cluster', service: 'riderapp-service', taskDefinition: 'riderapp:12' })));

    // Assess
    expect([first.name, second.name]).toEqual(['ServerException', 'ServerException']);
    expect(fault.hits).toBe(2);
    expect(standIn.model.summary('riderapp-cluster', 'riderapp-service').deployments).toHaveLength(before);
  });

  it('added latency beyond the client timeout surfaces as a TimeoutError', async () => {
    // Prepare
    const fault = standIn.faults.latency('ECS', 'DescribeServices', 1_000, { times: 1 });
    const impatient = new ECSClient({ maxAttempts: 1, requestHandler: { requestTimeout: 50, throwOnRequestTimeout: true } });

    // Act
    const error = await errorOf(impatient.send(new DescribeServicesCommand({ cluster: 'riderapp-cluster', services: ['riderapp-service'] })));
    impatient.destroy();

    // Assess
    expect(error.name).toBe('TimeoutError');
    expect(fault.hits).toBe(1);
    expect(standIn.calls.of('DescribeServices')[0]?.faults).toEqual([fault.id]);
  });
});
