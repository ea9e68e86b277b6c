/**
 * ECS operations (AWS JSON 1.1, target prefix AmazonEC2ContainerServiceV20141113): inputs as the
 * SDK serialises them, outputs and errors as ECS answers (timestamps in epoch seconds).
 */
import type {
  AwsModel,
  DeploymentRecord,
  ServiceDeploymentRecord,
  ServiceRecord,
  TaskDefinitionInput,
  TaskDefinitionRecord,
  TaskRecord,
} from './model';
import { ApiError, epochSeconds, num, str, strList, unknownOperation } from './protocols';
import { taskShape } from './task-shape';

/** X-Amz-Target prefix of ECS. */
export const ECS_TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113';

/** What an operation handler receives besides its input. */
export interface EcsContext {
  readonly model: AwsModel;
  /** Answer as if every resource the call names did not exist (fault "not-found"). */
  readonly notFound: boolean;
}

type Input = Record<string, unknown>;
type Handler = (input: Input, ctx: EcsContext) => unknown;

const s = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : epochSeconds(ms));

function page<T>(items: readonly T[], input: Input, defaultSize: number, maxSize: number): { items: T[]; nextToken?: string } {
  const size = Math.min(num(input, 'maxResults') ?? defaultSize, maxSize);
  const token = str(input, 'nextToken');
  let offset = 0;
  if (token !== undefined) {
    offset = Number(Buffer.from(token, 'base64').toString('utf8'));
    if (!Number.isInteger(offset) || offset < 0) throw new ApiError('InvalidParameterException', 'Invalid nextToken.');
  }
  const slice = items.slice(offset, offset + size);
  const next = offset + size < items.length ? Buffer.from(String(offset + size)).toString('base64') : undefined;
  return { items: slice, nextToken: next };
}

function renderDeployment(model: AwsModel, service: ServiceRecord, d: DeploymentRecord): Record<string, unknown> {
  const counts = model.deploymentCounts(service, d.id);
  return {
    id: d.id,
    status: d.status,
    taskDefinition: d.taskDefinitionArn,
    desiredCount: d.desiredCount,
    pendingCount: counts.pendingCount,
    runningCount: counts.runningCount,
    failedTasks: d.failedTasks,
    createdAt: s(d.createdAt),
    updatedAt: s(d.updatedAt),
    launchType: 'FARGATE',
    platformVersion: '1.4.0',
    platformFamily: 'Linux',
    networkConfiguration: networkConfiguration(service),
    rolloutState: d.rolloutState,
    rolloutStateReason: d.rolloutStateReason,
  };
}

function networkConfiguration(service: ServiceRecord): Record<string, unknown> {
  return { awsvpcConfiguration: { subnets: service.subnets, securityGroups: service.securityGroups, assignPublicIp: 'DISABLED' } };
}

/** DescribeServices' shape of a service. */
export function renderService(model: AwsModel, service: ServiceRecord, includeTags = false): Record<string, unknown> {
  const deployments = service.deployments.map((d) => renderDeployment(model, service, d));
  const revisions = new Map<string, { requestedTaskCount: number; runningTaskCount: number; pendingTaskCount: number }>();
  for (const d of service.deployments) {
    const counts = model.deploymentCounts(service, d.id);
    const current = revisions.get(d.serviceRevisionArn) ?? { requestedTaskCount: 0, runningTaskCount: 0, pendingTaskCount: 0 };
    revisions.set(d.serviceRevisionArn, {
      requestedTaskCount: current.requestedTaskCount + d.desiredCount,
      runningTaskCount: current.runningTaskCount + counts.runningCount,
      pendingTaskCount: current.pendingTaskCount + counts.pendingCount,
    });
  }
  const cb = service.deploymentConfiguration.deploymentCircuitBreaker;
  return {
    serviceArn: service.arn,
    serviceName: service.name,
    clusterArn: service.clusterArn,
    loadBalancers: service.loadBalancers.map((lb) => ({ ...lb })),
    serviceRegistries: [],
    status: service.status,
    desiredCount: service.desiredCount,
    runningCount: deployments.reduce((n, d) => n + (d.runningCount as number), 0),
    pendingCount: deployments.reduce((n, d) => n + (d.pendingCount as number), 0),
    launchType: 'FARGATE',
    platformVersion: 'LATEST',
    platformFamily: 'Linux',
    taskDefinition: service.taskDefinitionArn,
    deploymentConfiguration: {
      deploymentCircuitBreaker: { enable: cb.enable, rollback: cb.rollback },
      maximumPercent: service.deploymentConfiguration.maximumPercent,
      minimumHealthyPercent: service.deploymentConfiguration.minimumHealthyPercent,
      alarms: { alarmNames: [], rollback: false, enable: false },
    },
    deployments,
    roleArn: `arn:aws:iam::${model.account}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS`,
    events: service.events.map((e) => ({ id: e.id, createdAt: s(e.createdAt), message: e.message })),
    createdAt: s(service.createdAt),
    currentServiceDeployment: service.currentServiceDeploymentArn,
    currentServiceRevisions: [...revisions].map(([arn, counts]) => ({ arn, ...counts })),
    placementConstraints: [],
    placementStrategy: [],
    networkConfiguration: networkConfiguration(service),
    healthCheckGracePeriodSeconds: service.loadBalancers.length > 0 ? 60 : 0,
    schedulingStrategy: 'REPLICA',
    deploymentController: { type: service.deploymentController ?? 'ECS' },
    createdBy: `arn:aws:iam::${model.account}:role/${service.clusterName}-deployer`,
    enableECSManagedTags: true,
    propagateTags: 'NONE',
    enableExecuteCommand: false,
    availabilityZoneRebalancing: 'ENABLED',
    ...(includeTags ? { tags: service.tags } : {}),
  };
}

/** DescribeTaskDefinition's shape of a task definition (with the fields ECS adds). */
export function renderTaskDefinition(model: AwsModel, td: TaskDefinitionRecord): Record<string, unknown> {
  const { containerDefinitions, ...rest } = td.definition;
  return {
    ...rest,
    taskDefinitionArn: td.arn,
    containerDefinitions: containerDefinitions.map((c) => ({
      cpu: 0,
      environment: [],
      mountPoints: [],
      volumesFrom: [],
      systemControls: [],
      ...c,
      ...(c.portMappings === undefined
        ? {}
        : { portMappings: c.portMappings.map((p) => ({ ...p, hostPort: p.hostPort ?? p.containerPort, protocol: p.protocol ?? 'tcp' })) }),
    })),
    family: td.family,
    revision: td.revision,
    volumes: rest['volumes'] ?? [],
    status: td.status,
    placementConstraints: rest['placementConstraints'] ?? [],
    requiresAttributes: [
      { name: 'com.amazonaws.ecs.capability.logging-driver.awslogs' },
      { name: 'ecs.capability.execution-role-awslogs' },
      { name: 'com.amazonaws.ecs.capability.docker-remote-api.1.19' },
      { name: 'ecs.capability.task-eni' },
    ],
    compatibilities: ['EC2', 'FARGATE'],
    registeredAt: s(td.registeredAt),
    registeredBy: `arn:aws:sts::${model.account}:assumed-role/${td.family}-deployer/deploy`,
  };
}

function renderTask(model: AwsModel, task: TaskRecord): Record<string, unknown> {
  const td = model.findTaskDefinition(task.taskDefinitionArn);
  const ctx = { region: model.region, account: model.account, clusterArn: model.getCluster(task.clusterName).arn, cpu: td?.definition['cpu'], memory: td?.definition['memory'] };
  return taskShape(task, ctx, s);
}

function renderServiceDeployment(model: AwsModel, record: ServiceDeploymentRecord): Record<string, unknown> {
  const cfg = record.deploymentConfiguration;
  return {
    serviceDeploymentArn: record.arn,
    serviceArn: record.serviceArn,
    clusterArn: record.clusterArn,
    createdAt: s(record.createdAt),
    startedAt: s(record.startedAt),
    finishedAt: s(record.finishedAt),
    stoppedAt: s(record.stoppedAt),
    updatedAt: s(record.updatedAt),
    sourceServiceRevisions: record.sourceServiceRevisionArns.map((arn) => ({ arn, ...model.revisionCounts(record, arn) })),
    targetServiceRevision: { arn: record.targetServiceRevisionArn, ...model.revisionCounts(record, record.targetServiceRevisionArn) },
    status: record.status,
    statusReason: record.statusReason,
    deploymentConfiguration: {
      deploymentCircuitBreaker: { ...cfg.deploymentCircuitBreaker },
      maximumPercent: cfg.maximumPercent,
      minimumHealthyPercent: cfg.minimumHealthyPercent,
      alarms: { alarmNames: [], rollback: false, enable: false },
      strategy: 'ROLLING',
    },
    rollback:
      record.rollback === undefined
        ? undefined
        : { reason: record.rollback.reason, startedAt: s(record.rollback.startedAt), serviceRevisionArn: record.rollback.serviceRevisionArn },
    deploymentCircuitBreaker: { ...record.circuitBreaker },
    alarms: { status: 'DISABLED' },
  };
}

const describeServices: Handler = (input, { model, notFound }) => {
  const cluster = model.getCluster(str(input, 'cluster'));
  const refs = strList(input, 'services');
  if (refs.length === 0) throw new ApiError('InvalidParameterException', 'Services cannot be empty.');
  if (refs.length > 10) throw new ApiError('InvalidParameterException', 'Cannot describe more than 10 services at a time.');
  const includeTags = strList(input, 'include').includes('TAGS');
  const services: unknown[] = [];
  const failures: unknown[] = [];
  for (const ref of refs) {
    const service = notFound ? undefined : model.findService(cluster.name, ref);
    if (service === undefined) failures.push({ arn: ref.startsWith('arn:') ? ref : model.serviceArn(cluster.name, ref), reason: 'MISSING' });
    else services.push(renderService(model, service, includeTags));
  }
  return { services, failures };
};

const updateService: Handler = (input, { model, notFound }) => {
  const service = str(input, 'service');
  if (service === undefined) throw new ApiError('InvalidParameterException', 'service must be specified.');
  if (notFound) throw new ApiError('ServiceNotFoundException', 'Service not found.');
  const updated = model.updateService({
    cluster: str(input, 'cluster'),
    service,
    taskDefinition: str(input, 'taskDefinition'),
    desiredCount: num(input, 'desiredCount'),
    forceNewDeployment: input['forceNewDeployment'] === true,
    deploymentConfiguration: input['deploymentConfiguration'] as Parameters<AwsModel['updateService']>[0]['deploymentConfiguration'],
  });
  return { service: renderService(model, updated) };
};

const describeTaskDefinition: Handler = (input, { model, notFound }) => {
  const ref = str(input, 'taskDefinition');
  if (ref === undefined) throw new ApiError('ClientException', 'taskDefinition must be specified.');
  const td = notFound ? undefined : model.findTaskDefinition(ref);
  if (td === undefined) throw new ApiError('ClientException', 'Unable to describe task definition.');
  return {
    taskDefinition: renderTaskDefinition(model, td),
    ...(strList(input, 'include').includes('TAGS') ? { tags: td.tags } : {}),
  };
};

const registerTaskDefinition: Handler = (input, { model }) => {
  const td = model.registerTaskDefinition(input as unknown as TaskDefinitionInput);
  return { taskDefinition: renderTaskDefinition(model, td), tags: td.tags };
};

const tagResource: Handler = (input, { model, notFound }) => {
  const arn = str(input, 'resourceArn');
  const tags = Array.isArray(input['tags']) ? (input['tags'] as { key: string; value: string }[]) : [];
  if (arn === undefined) throw new ApiError('InvalidParameterException', 'resourceArn must be specified.');
  if (notFound || !model.tagResource(arn, tags)) throw new ApiError('ResourceNotFoundException', 'The specified resource could not be found.');
  return {};
};

function serviceFor(model: AwsModel, input: Input, notFound: boolean): ServiceRecord {
  const service = str(input, 'service');
  if (service === undefined) throw new ApiError('InvalidParameterException', 'service must be specified.');
  if (notFound) throw new ApiError('ServiceNotFoundException', 'Service not found.');
  const clusterRef = str(input, 'cluster') ?? (service.startsWith('arn:') ? service.split('/')[1] : undefined);
  return model.getService(clusterRef, service);
}

const listServiceDeployments: Handler = (input, { model, notFound }) => {
  const service = serviceFor(model, input, notFound);
  const statuses = strList(input, 'status');
  const createdAt = (input['createdAt'] ?? {}) as { before?: number; after?: number };
  const records = model
    .serviceDeployments(service)
    .filter((r) => statuses.length === 0 || statuses.includes(r.status))
    .filter((r) => createdAt.before === undefined || r.createdAt <= createdAt.before * 1000)
    .filter((r) => createdAt.after === undefined || r.createdAt >= createdAt.after * 1000);
  const { items, nextToken } = page(records, input, 20, 100);
  return {
    serviceDeployments: items.map((r) => ({
      serviceDeploymentArn: r.arn,
      serviceArn: r.serviceArn,
      clusterArn: r.clusterArn,
      startedAt: s(r.startedAt),
      createdAt: s(r.createdAt),
      finishedAt: s(r.finishedAt),
      targetServiceRevisionArn: r.targetServiceRevisionArn,
      status: r.status,
      statusReason: r.statusReason,
    })),
    nextToken,
  };
};

const describeServiceDeployments: Handler = (input, { model, notFound }) => {
  const arns = strList(input, 'serviceDeploymentArns');
  if (arns.length === 0) throw new ApiError('InvalidParameterException', 'serviceDeploymentArns cannot be empty.');
  const serviceDeployments: unknown[] = [];
  const failures: unknown[] = [];
  for (const arn of arns) {
    const record = notFound ? undefined : model.findServiceDeployment(arn);
    if (record === undefined) failures.push({ arn, reason: 'MISSING' });
    else serviceDeployments.push(renderServiceDeployment(model, record));
  }
  return { serviceDeployments, failures };
};

const stopServiceDeployment: Handler = (input, { model, notFound }) => {
  const arn = str(input, 'serviceDeploymentArn');
  if (arn === undefined) throw new ApiError('InvalidParameterException', 'serviceDeploymentArn must be specified.');
  if (notFound) throw new ApiError('ServiceDeploymentNotFoundException', `The service deployment ${arn} does not exist.`);
  const record = model.stopServiceDeployment(arn, str(input, 'stopType') ?? 'ROLLBACK');
  return { serviceDeploymentArn: record.arn };
};

const describeServiceRevisions: Handler = (input, { model, notFound }) => {
  const arns = strList(input, 'serviceRevisionArns');
  if (arns.length === 0) throw new ApiError('InvalidParameterException', 'serviceRevisionArns cannot be empty.');
  const serviceRevisions: unknown[] = [];
  const failures: unknown[] = [];
  for (const arn of arns) {
    const revision = notFound ? undefined : model.findServiceRevision(arn);
    if (revision === undefined) {
      failures.push({ arn, reason: 'MISSING' });
      continue;
    }
    const service = model.findService(revision.clusterArn, revision.serviceArn);
    serviceRevisions.push({
      serviceRevisionArn: revision.arn,
      serviceArn: revision.serviceArn,
      clusterArn: revision.clusterArn,
      taskDefinition: revision.taskDefinitionArn,
      launchType: 'FARGATE',
      platformVersion: '1.4.0',
      platformFamily: 'Linux',
      loadBalancers: service?.loadBalancers.map((lb) => ({ ...lb })) ?? [],
      serviceRegistries: [],
      networkConfiguration: service === undefined ? undefined : networkConfiguration(service),
      containerImages: revision.containerImages.map((c) => ({ ...c })),
      guardDutyEnabled: false,
      createdAt: s(revision.createdAt),
    });
  }
  return { serviceRevisions, failures };
};

const listTasks: Handler = (input, { model, notFound }) => {
  const clusterRef = str(input, 'cluster');
  const cluster = model.getCluster(clusterRef);
  const serviceName = str(input, 'serviceName');
  if (notFound) {
    if (serviceName !== undefined) throw new ApiError('ServiceNotFoundException', 'Service not found.');
    throw new ApiError('ClusterNotFoundException', 'Cluster not found.');
  }
  if (serviceName !== undefined && model.findService(cluster.name, serviceName) === undefined) {
    throw new ApiError('ServiceNotFoundException', 'Service not found.');
  }
  const desiredStatus = str(input, 'desiredStatus') as 'RUNNING' | 'STOPPED' | 'PENDING' | undefined;
  const tasks = model.listTasks({
    cluster: cluster.name,
    serviceName,
    startedBy: str(input, 'startedBy'),
    family: str(input, 'family'),
    desiredStatus,
  });
  const { items, nextToken } = page(tasks, input, 100, 100);
  return { taskArns: items.map((t) => t.arn), nextToken };
};

const describeTasks: Handler = (input, { model, notFound }) => {
  const cluster = model.getCluster(str(input, 'cluster'));
  const refs = strList(input, 'tasks');
  if (refs.length === 0) throw new ApiError('InvalidParameterException', 'Tasks cannot be empty.');
  if (refs.length > 100) throw new ApiError('InvalidParameterException', 'Cannot describe more than 100 tasks at a time.');
  const tasks: unknown[] = [];
  const failures: unknown[] = [];
  for (const ref of refs) {
    const task = notFound ? undefined : model.findTask(cluster.name, ref);
    if (task === undefined) failures.push({ arn: ref.startsWith('arn:') ? ref : `arn:aws:ecs:${model.region}:${model.account}:task/${cluster.name}/${ref}`, reason: 'MISSING' });
    else tasks.push(renderTask(model, task));
  }
  return { tasks, failures };
};

const HANDLERS: Record<string, Handler> = {
  DescribeServices: describeServices,
  UpdateService: updateService,
  DescribeTaskDefinition: describeTaskDefinition,
  RegisterTaskDefinition: registerTaskDefinition,
  TagResource: tagResource,
  ListServiceDeployments: listServiceDeployments,
  DescribeServiceDeployments: describeServiceDeployments,
  DescribeServiceRevisions: describeServiceRevisions,
  StopServiceDeployment: stopServiceDeployment,
  ListTasks: listTasks,
  DescribeTasks: describeTasks,
};

/** The ECS operations the stand-in implements. */
export const ECS_OPERATIONS: readonly string[] = Object.keys(HANDLERS);

/** Runs one ECS operation; throws ApiError (including for operations it does not implement). */
export function handleEcs(operation: string, input: Input, ctx: EcsContext): unknown {
  const handler = HANDLERS[operation];
  if (handler === undefined) throw unknownOperation('ECS', operation, 'json');
  return handler(input, ctx);
}
