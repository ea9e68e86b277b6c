/**
 * The seed's story: riderapp-service in riderapp-cluster runs riderapp:14 (image v14), healthy
 * behind riderapp-tg on riderapp-alb; riderapp:15 (image v15) is registered and bad. Older
 * revisions and successful deployments give the history a rollback looks back on.
 */
import { AwsModel, type ImageBehaviour } from './model';

/** Options of {@link seedRiderapp}. */
export interface RiderappSeedOptions {
  /** @default 3 */
  readonly desiredCount?: number;
  /** ECS's deployment circuit breaker. @default true */
  readonly circuitBreaker?: boolean;
  /** ECS's own circuit-breaker rollback. @default false */
  readonly ecsRollback?: boolean;
  /** How riderapp:15's image (v15) behaves. @default 'bad' */
  readonly v15Behaviour?: ImageBehaviour;
  /** How long ago riderapp:14 went live (modelled ms). @default 2 days */
  readonly deployedAgoMs?: number;
  /** UnHealthyHostCount alarm on riderapp-tg. @default 'riderapp-unhealthy-hosts' */
  readonly alarmName?: string;
  /** @default 2 */
  readonly alarmEvaluationPeriods?: number;
  /** @default 60 */
  readonly alarmPeriodSeconds?: number;
}

/** One revision of the story: task definition, image and tags. */
export interface RiderappRevision {
  readonly revision: number;
  readonly taskDefinitionArn: string;
  /** `family:revision` */
  readonly taskDefinition: string;
  /** The image reference in the task definition (`…/riderapp:v14`). */
  readonly image: string;
  readonly tag: string;
  /** The 40-hex commit SHA the image is also tagged with. */
  readonly commit: string;
  readonly digest: string;
  readonly pushedAt: number;
}

/** Names and ARNs of the seeded story. */
export interface RiderappSeed {
  readonly account: string;
  readonly region: string;
  readonly cluster: string;
  readonly clusterArn: string;
  readonly service: string;
  readonly serviceArn: string;
  readonly family: string;
  readonly repositoryName: string;
  readonly repositoryUri: string;
  readonly loadBalancerArn: string;
  readonly targetGroupArn: string;
  readonly alarmName: string;
  /** A topic ARN for notifications (SNS accepts any well-formed topic ARN). */
  readonly topicArn: string;
  readonly revisions: Readonly<Record<12 | 13 | 14 | 15, RiderappRevision>>;
  /** riderapp:14, the known-good revision. */
  readonly good: RiderappRevision;
  /** riderapp:15, the bad revision. */
  readonly bad: RiderappRevision;
}

const DAY = 86_400_000;

/** Seeds the riderapp story into a model (at the model's current time). */
export function seedRiderapp(model: AwsModel, options: RiderappSeedOptions = {}): RiderappSeed {
  const now = model.now();
  const cluster = 'riderapp-cluster';
  const service = 'riderapp-service';
  const family = 'riderapp';
  const repository = model.createRepository('riderapp', now - 90 * DAY);
  const deployedAt = now - (options.deployedAgoMs ?? 2 * DAY);
  const history: [12 | 13 | 14 | 15, number, ImageBehaviour][] = [
    [12, now - 30 * DAY, 'good'],
    [13, now - 10 * DAY, 'good'],
    [14, deployedAt, 'good'],
    [15, now - 3_600_000, options.v15Behaviour ?? 'bad'],
  ];
  const revisions = {} as Record<12 | 13 | 14 | 15, RiderappRevision>;
  for (const [revision, at, behaviour] of history) {
    const tag = `v${revision}`;
    const commit = AwsModel.commitLike(`riderapp ${tag}`);
    const pushed = model.pushImage(repository.name, { tags: [tag, commit], behaviour, pushedAt: at - 600_000 });
    const image = `${repository.uri}:${tag}`;
    const td = model.registerTaskDefinition(
      {
        family,
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '512',
        memory: '1024',
        executionRoleArn: `arn:aws:iam::${model.account}:role/riderapp-task-execution`,
        taskRoleArn: `arn:aws:iam::${model.account}:role/riderapp-task`,
        runtimePlatform: { cpuArchitecture: 'X86_64', operatingSystemFamily: 'LINUX' },
        containerDefinitions: [
          {
            name: 'riderapp',
            image,
            essential: true,
            portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: 'tcp', name: 'http', appProtocol: 'http' }],
            environment: [{ name: 'APP_VERSION', value: tag }],
            logConfiguration: {
              logDriver: 'awslogs',
              options: { 'awslogs-group': '/ecs/riderapp', 'awslogs-region': model.region, 'awslogs-stream-prefix': 'riderapp' },
            },
          },
          {
            name: 'xray-daemon',
            image: 'public.ecr.aws/xray/aws-xray-daemon:3.3.14',
            essential: false,
            portMappings: [{ containerPort: 2000, hostPort: 2000, protocol: 'udp' }],
          },
        ],
        tags: [
          { key: 'project', value: 'riderapp' },
          { key: 'commit', value: commit },
        ],
      },
      { registeredAt: at - 300_000, revision },
    );
    revisions[revision] = {
      revision,
      taskDefinitionArn: td.arn,
      taskDefinition: `${family}:${td.revision}`,
      image,
      tag,
      commit,
      digest: pushed.digest,
      pushedAt: pushed.pushedAt,
    };
  }
  const tg = model.createTargetGroup({
    name: 'riderapp-tg',
    port: 8080,
    loadBalancerName: 'riderapp-alb',
  });
  const created = model.createService({
    cluster,
    name: service,
    taskDefinition: revisions[14].taskDefinition,
    desiredCount: options.desiredCount ?? 3,
    loadBalancers: [{ targetGroupArn: tg.arn, containerName: 'riderapp', containerPort: 8080 }],
    circuitBreaker: { enable: options.circuitBreaker ?? true, rollback: options.ecsRollback ?? false },
    steadySince: deployedAt,
    createdAt: now - 90 * DAY,
    tags: [{ key: 'project', value: 'riderapp' }],
  });
  for (const revision of [12, 13] as const) {
    const startedAt = history.find(([r]) => r === revision)![1];
    model.addHistoricalDeployment(cluster, service, {
      taskDefinition: revisions[revision].taskDefinition,
      startedAt,
      finishedAt: startedAt + 7 * 60_000,
      status: 'SUCCESSFUL',
    });
  }
  const alarmName = options.alarmName ?? 'riderapp-unhealthy-hosts';
  model.createUnhealthyHostAlarm({
    name: alarmName,
    targetGroupArn: tg.arn,
    threshold: 1,
    evaluationPeriods: options.alarmEvaluationPeriods ?? 2,
    periodSeconds: options.alarmPeriodSeconds ?? 60,
    description: 'riderapp-service: unhealthy targets in riderapp-tg',
  });
  return {
    account: model.account,
    region: model.region,
    cluster,
    clusterArn: created.clusterArn,
    service,
    serviceArn: created.arn,
    family,
    repositoryName: repository.name,
    repositoryUri: repository.uri,
    loadBalancerArn: tg.loadBalancerArns[0]!,
    targetGroupArn: tg.arn,
    alarmName,
    topicArn: `arn:aws:sns:${model.region}:${model.account}:riderapp-rollback-notifications`,
    revisions,
    good: revisions[14],
    bad: revisions[15],
  };
}
