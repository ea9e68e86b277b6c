/**
 * The riderapp story as ECS, ECR, ELBv2 and SNS answer it, through aws-sdk-client-mock: a small
 * stateful model (UpdateService starts a deployment that later CheckStability calls see evolve),
 * a modelled clock (Date only, advanced by the Wait before each CheckStability), and faults that
 * make one call of one Task state fail. DynamoDB is not mocked: the state table is a real dynalite.
 */
import { readFileSync } from 'node:fs';
import { type DescribeImagesCommandInput, DescribeImagesCommand, ECRClient, ImageNotFoundException } from '@aws-sdk/client-ecr';
import {
  AccessDeniedException,
  ClientException,
  type Deployment,
  DescribeServiceDeploymentsCommand,
  type DescribeServiceDeploymentsCommandInput,
  DescribeServiceRevisionsCommand,
  type DescribeServiceRevisionsCommandInput,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  type DescribeTaskDefinitionCommandInput,
  DescribeTasksCommand,
  type DescribeTasksCommandInput,
  ECSClient,
  ListServiceDeploymentsCommand,
  ListTasksCommand,
  type ListTasksCommandInput,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  type Service,
  type TaskDefinition,
  UpdateServiceCommand,
  type UpdateServiceCommandInput,
} from '@aws-sdk/client-ecs';
import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  type TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { type PublishCommandInput, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { vi } from 'vitest';
import type { RollbackState } from '../../../lambdas/shared/types';

const ACCOUNT = '111122223333';
const REGION = 'us-east-1';
const CLUSTER = 'riderapp-cluster';
const SERVICE = 'riderapp-service';

/** The riderapp story's names. */
export const RIDERAPP = {
  account: ACCOUNT,
  region: REGION,
  cluster: CLUSTER,
  service: SERVICE,
  ecrRepository: 'riderapp',
  repositoryUri: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/riderapp`,
  serviceArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/${CLUSTER}/${SERVICE}`,
  targetGroupArn: `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/riderapp-tg/73e2d6bc24d8a067`,
  topicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:riderapp-rollback`,
  /** The deployment of riderapp:15 that failed (the fixture event's deploymentId). */
  failedDeploymentId: 'ecs-svc/4520982937154920815',
  /** The deployment UpdateService starts. */
  rollbackDeploymentId: 'ecs-svc/6061187735472618029',
  /** The deployment in which ECS's circuit breaker rolls back by itself. */
  ecsRollbackDeploymentId: 'ecs-svc/7390158264829103746',
  /** When every scenario starts (the modelled clock). */
  now: new Date('2026-11-29T12:00:00.000Z'),
} as const;

/** `arn:aws:ecs:us-east-1:111122223333:task-definition/riderapp:<revision>` */
export const taskDefinitionArn = (revision: number): string =>
  `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/riderapp:${revision}`;

/** sha256 digest of riderapp's image <n> in the ECR fixture (sha256:1414… for 14). */
export const imageDigest = (n: number): string => `sha256:${String(n).repeat(32)}`;

/** Each service's mock, one per SDK client class (they mock every instance). */
export const ecs = mockClient(ECSClient);
export const ecr = mockClient(ECRClient);
export const elbv2 = mockClient(ElasticLoadBalancingV2Client);
export const sns = mockClient(SNSClient);
/** Step Functions as Prepare sees it: DescribeExecution of a lock's holder (RUNNING unless a test says otherwise). */
export const sfn = mockClient(SFNClient);

/** How the rollback deployment behaves, check after check. */
export type RolloutOutcome =
  /** Tasks running and healthy in the target group while the old ones drain. */
  | 'recovered'
  /** ECS reports the deployment COMPLETED (CheckStability does not look at targets then). */
  | 'completed'
  /** ECS reports the deployment FAILED (circuit breaker: tasks failed to start). */
  | 'failed'
  /** Tasks keep failing to start: 1/3 running for ever. */
  | 'stuck';

/** The story's variants. */
export interface WorldOptions {
  /** ListServiceDeployments: riderapp:14's deployment SUCCESSFUL before the failure (default), or nothing. */
  readonly history?: 'riderapp:14 successful' | 'none';
  /** The ECR repository: images 12 to 15 (default), or only the one that runs now (15). */
  readonly ecrImages?: 'all' | 'current only';
  /** CheckStability calls that see the rollback IN_PROGRESS before the outcome (default 2). */
  readonly inProgressChecks?: number;
  /** Default 'recovered'. */
  readonly outcome?: RolloutOutcome;
  /** The new tasks' target health once ECS reports the deployment COMPLETED (default 'healthy'). */
  readonly healthAfterCompletion?: 'healthy' | 'unhealthy';
  /** ECS's circuit breaker is already rolling riderapp back to riderapp:14 (default false). */
  readonly ecsRollingBack?: boolean;
}

/** One call of one Task state that fails. */
export interface Fault {
  /** The Task state (as the ASL names it) whose next call of `command` fails. */
  readonly state: string;
  readonly command: new (input: never) => unknown;
  readonly error: () => Error;
  /** The call takes effect before the error (a lost response), e.g. UpdateService started the deployment. */
  readonly afterEffect?: boolean;
}

/** An AWS throttling error (transient: the ASL retries the Task). */
export function throttling(): Error {
  return Object.assign(new Error('Rate exceeded'), {
    name: 'ThrottlingException',
    $fault: 'client' as const,
    $metadata: { httpStatusCode: 400 },
  });
}

/** A permission error (not transient: the Task fails). */
export function accessDenied(action = 'ecs:DescribeServices'): Error {
  return new AccessDeniedException({
    message: `User: arn:aws:sts::${ACCOUNT}:assumed-role/riderapp-rollback/fn is not authorized to perform: ${action}`,
    $metadata: { httpStatusCode: 400 },
  });
}

/** The connection dropped after the request was sent (transient; the call may have taken effect). */
export function responseLost(): Error {
  return Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET' });
}

/** An SDK response from test/fixtures/aws, with its time stamps as Date objects like the SDK gives them. */
function fixture<T>(name: string): T {
  const text = readFileSync(new URL(`../../fixtures/aws/${name}.json`, import.meta.url), 'utf8');
  return JSON.parse(text, (key, value) =>
    typeof value === 'string' && /(At|Time)$/.test(key) && !Number.isNaN(Date.parse(value)) ? new Date(value) : value,
  ) as T;
}

interface DescribedTaskDefinition {
  taskDefinition: TaskDefinition;
  tags: { key: string; value: string }[];
}

/** riderapp:13, the revision before riderapp:14: the same task definition with image 13. */
function riderapp13(from: DescribedTaskDefinition): DescribedTaskDefinition {
  const td = structuredClone(from);
  td.taskDefinition.taskDefinitionArn = taskDefinitionArn(13);
  td.taskDefinition.revision = 13;
  td.taskDefinition.registeredAt = new Date('2026-11-20T14:55:00.000Z');
  for (const container of td.taskDefinition.containerDefinitions ?? []) {
    if (container.name === 'app') container.image = `${RIDERAPP.repositoryUri}:13`;
  }
  return td;
}

type Phase = 'starting' | 'registering' | 'recovered' | 'completed' | 'failed';

interface DeploymentModel {
  readonly id: string;
  readonly taskDefinition: string;
  readonly createdAt: Date;
  status: 'PRIMARY' | 'ACTIVE';
  /** Fixed state of a deployment that does not evolve (the failed riderapp:15). */
  readonly fixed?: Pick<Deployment, 'rolloutState' | 'rolloutStateReason' | 'runningCount' | 'failedTasks'>;
  readonly rolloutStateReason?: string;
  /** The octet that numbers its task IPs (10.0.<n>.x). */
  readonly subnet: number;
}

const DESIRED = 3;
const shortLabel = (arn: string): string => arn.slice(arn.lastIndexOf('/') + 1);
const toArn = (taskDefinition: string): string =>
  /^[A-Za-z0-9_-]+:\d+$/.test(taskDefinition) ? `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${taskDefinition}` : taskDefinition;

/** The riderapp world for one scenario; `beforeTask` goes to runLocally. */
export class RiderappWorld {
  private readonly options: Required<WorldOptions>;
  private readonly taskDefinitions = new Map<string, DescribedTaskDefinition>();
  private readonly deployments: DeploymentModel[] = [];
  private readonly faults: Fault[] = [];
  private armed: Fault[] = [];
  private checks = 0;
  private started = 0;
  private readonly delivered: PublishCommandInput[] = [];

  public constructor(options: WorldOptions = {}) {
    this.options = {
      history: options.history ?? 'riderapp:14 successful',
      ecrImages: options.ecrImages ?? 'all',
      inProgressChecks: options.inProgressChecks ?? 2,
      outcome: options.outcome ?? 'recovered',
      healthAfterCompletion: options.healthAfterCompletion ?? 'healthy',
      ecsRollingBack: options.ecsRollingBack ?? false,
    };
    const td14 = fixture<DescribedTaskDefinition>('ecs-task-definition-riderapp-14');
    for (const td of [riderapp13(td14), td14, fixture<DescribedTaskDefinition>('ecs-task-definition-riderapp-15')]) {
      this.taskDefinitions.set(td.taskDefinition.taskDefinitionArn as string, td);
    }
    this.deployments.push({
      id: RIDERAPP.failedDeploymentId,
      taskDefinition: taskDefinitionArn(15),
      createdAt: new Date('2026-11-29T11:45:00.000Z'),
      status: 'PRIMARY',
      fixed: {
        rolloutState: 'FAILED',
        rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
        runningCount: 0,
        failedTasks: 6,
      },
      subnet: 15,
    });
    if (this.options.ecsRollingBack) {
      this.startDeployment(
        RIDERAPP.ecsRollbackDeploymentId,
        taskDefinitionArn(14),
        new Date('2026-11-29T11:58:00.000Z'),
        'ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1187736251029384756.',
      );
    }
    this.install();
  }

  /** Makes the first call of `fault.command` by `fault.state` fail (once per scenario). */
  public fail(fault: Fault): this {
    this.faults.push(fault);
    return this;
  }

  /** runLocally's hook: the Wait before a CheckStability passes on the clock and the rollout moves on; faults are armed. */
  public readonly beforeTask = (stateName: string, input: RollbackState): void => {
    if (stateName === 'CheckStability') {
      const check = (input.stability?.checks ?? 0) + 1;
      if (check > this.checks) {
        vi.setSystemTime(Date.now() + (input.stability?.waitSeconds ?? 0) * 1000);
        this.checks = check;
      }
    }
    this.armed = this.faults.filter((f) => f.state === stateName);
    for (const fault of this.armed) this.faults.splice(this.faults.indexOf(fault), 1);
  };

  /** The messages SNS accepted, in order (a Publish rejected by a fault is not one). */
  public published(): PublishCommandInput[] {
    return [...this.delivered];
  }

  /** Deployments UpdateService started (a call rejected by a fault starts none). */
  public deploymentsStarted(): number {
    return this.started;
  }

  /** The task definition the service runs now ("riderapp:14"). */
  public runningTaskDefinition(): string {
    return shortLabel(this.service().taskDefinition ?? '');
  }

  private startDeployment(id: string, taskDefinition: string, createdAt: Date, rolloutStateReason?: string): void {
    for (const d of this.deployments) d.status = 'ACTIVE';
    this.deployments.unshift({
      id,
      taskDefinition,
      createdAt,
      status: 'PRIMARY',
      ...(rolloutStateReason === undefined ? {} : { rolloutStateReason }),
      subnet: 100 + this.deployments.length,
    });
  }

  private phase(): Phase {
    const { inProgressChecks, outcome } = this.options;
    if (this.checks <= 1) return 'starting';
    if (this.checks <= inProgressChecks) return 'registering';
    return outcome === 'stuck' ? 'starting' : outcome;
  }

  private running(model: DeploymentModel): number {
    if (model.fixed !== undefined) return model.fixed.runningCount ?? 0;
    const phase = this.phase();
    return phase === 'starting' ? 1 : phase === 'failed' ? 0 : DESIRED;
  }

  private taskIps(model: DeploymentModel): string[] {
    return Array.from({ length: this.running(model) }, (_, i) => `10.0.${model.subnet}.${11 + i}`);
  }

  private deploymentView(model: DeploymentModel): Deployment {
    const phase = this.phase();
    const rolloutState = model.fixed?.rolloutState ?? (phase === 'completed' ? 'COMPLETED' : phase === 'failed' ? 'FAILED' : 'IN_PROGRESS');
    const rolloutStateReason =
      model.fixed?.rolloutStateReason ??
      (phase === 'failed'
        ? 'ECS deployment circuit breaker: tasks failed to start.'
        : (model.rolloutStateReason ?? `ECS deployment ${model.id} in progress.`));
    return {
      id: model.id,
      status: model.status,
      taskDefinition: model.taskDefinition,
      desiredCount: model.status === 'PRIMARY' ? DESIRED : 0,
      pendingCount: 0,
      runningCount: this.running(model),
      failedTasks: model.fixed?.failedTasks ?? (phase === 'failed' ? 6 : 0),
      createdAt: model.createdAt,
      updatedAt: new Date(Date.now()),
      launchType: 'FARGATE',
      rolloutState,
      rolloutStateReason,
    };
  }

  private service(): Service {
    const evolving = this.deployments.find((d) => d.fixed === undefined);
    const listed = this.phase() === 'completed' && evolving !== undefined ? [evolving] : this.deployments;
    const deployments = listed.map((d) => this.deploymentView(d));
    return {
      serviceArn: RIDERAPP.serviceArn,
      serviceName: SERVICE,
      clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${CLUSTER}`,
      status: 'ACTIVE',
      desiredCount: DESIRED,
      runningCount: deployments.reduce((n, d) => n + (d.runningCount ?? 0), 0),
      pendingCount: 0,
      launchType: 'FARGATE',
      taskDefinition: deployments.find((d) => d.status === 'PRIMARY')?.taskDefinition,
      deploymentConfiguration: {
        deploymentCircuitBreaker: { enable: true, rollback: this.options.ecsRollingBack },
        maximumPercent: 200,
        minimumHealthyPercent: 100,
      },
      deployments,
      currentServiceDeployment: `arn:aws:ecs:${REGION}:${ACCOUNT}:service-deployment/${CLUSTER}/${SERVICE}/Bad15xTd9sK2pQw8rVz3`,
      loadBalancers: [{ targetGroupArn: RIDERAPP.targetGroupArn, containerName: 'app', containerPort: 8080 }],
      deploymentController: { type: 'ECS' },
    };
  }

  private targetState(): Pick<TargetHealthDescription, 'TargetHealth'>['TargetHealth'] {
    switch (this.phase()) {
      case 'starting':
        return { State: 'initial', Reason: 'Elb.RegistrationInProgress' };
      case 'registering':
        return { State: 'initial', Reason: 'Elb.InitialHealthChecking' };
      case 'completed':
        return this.options.healthAfterCompletion === 'healthy'
          ? { State: 'healthy' }
          : { State: 'unhealthy', Reason: 'Target.ResponseCodeMismatch', Description: 'Health checks failed with these codes: [503]' };
      default:
        return { State: 'healthy' };
    }
  }

  private targetHealth(): TargetHealthDescription[] {
    const old = ['10.0.14.21', '10.0.14.22', '10.0.14.23'].map(
      (ip): TargetHealthDescription => ({
        Target: { Id: ip, Port: 8080 },
        TargetHealth: { State: 'draining', Reason: 'Target.DeregistrationInProgress' },
      }),
    );
    const evolving = this.deployments.find((d) => d.fixed === undefined);
    const ours = (evolving === undefined ? [] : this.taskIps(evolving)).map(
      (ip): TargetHealthDescription => ({ Target: { Id: ip, Port: 8080 }, TargetHealth: this.targetState() }),
    );
    return [...old, ...ours];
  }

  private findTaskDefinition(reference: string): DescribedTaskDefinition | undefined {
    if (/^[A-Za-z0-9_-]+$/.test(reference)) {
      // A family alone: its latest ACTIVE revision, as ECS answers.
      const family = [...this.taskDefinitions.values()].filter((t) => t.taskDefinition.family === reference && t.taskDefinition.status !== 'INACTIVE');
      return family.sort((a, b) => (b.taskDefinition.revision ?? 0) - (a.taskDefinition.revision ?? 0))[0];
    }
    return this.taskDefinitions.get(toArn(reference));
  }

  /** Task definition revisions RegisterTaskDefinition created (a call rejected by a fault creates none). */
  public registeredRevisions(): number[] {
    return [...this.taskDefinitions.values()].map((t) => t.taskDefinition.revision ?? 0).filter((revision) => revision > 15);
  }

  private updateService(input: UpdateServiceCommandInput): { service: Service } {
    const arn = toArn(input.taskDefinition ?? '');
    if (!this.taskDefinitions.has(arn)) {
      throw new ClientException({ message: 'TaskDefinition not found.', $metadata: { httpStatusCode: 400 } });
    }
    this.checks = 0;
    this.started += 1;
    this.startDeployment(RIDERAPP.rollbackDeploymentId, arn, new Date(Date.now()));
    return { service: this.service() };
  }

  private registerTaskDefinition(input: RegisterTaskDefinitionCommandInput): DescribedTaskDefinition {
    const revision = Math.max(...[...this.taskDefinitions.values()].map((t) => t.taskDefinition.revision ?? 0)) + 1;
    const { tags, ...definition } = input;
    const registered: DescribedTaskDefinition = {
      taskDefinition: {
        ...definition,
        taskDefinitionArn: taskDefinitionArn(revision),
        revision,
        status: 'ACTIVE',
        registeredAt: new Date(Date.now()),
      },
      tags: (tags ?? []).map((t) => ({ key: t.key ?? '', value: t.value ?? '' })),
    };
    this.taskDefinitions.set(taskDefinitionArn(revision), registered);
    return registered;
  }

  private ecrImages(input: DescribeImagesCommandInput) {
    const all = fixture<{ imageDetails: { imageTags?: string[]; imageDigest?: string }[] }>('ecr-describe-images-riderapp').imageDetails;
    const listed = this.options.ecrImages === 'all' ? all : all.filter((d) => d.imageTags?.includes('15'));
    const [id] = input.imageIds ?? [];
    if (id === undefined) return { imageDetails: listed };
    const found = listed.filter((d) => d.imageDigest === id.imageDigest || (id.imageTag !== undefined && d.imageTags?.includes(id.imageTag)));
    if (found.length === 0) throw new ImageNotFoundException({ message: 'The image requested does not exist', $metadata: {} });
    return { imageDetails: found };
  }

  private tasks(input: DescribeTasksCommandInput) {
    const wanted = new Set(input.tasks ?? []);
    return {
      tasks: this.deployments.flatMap((d) =>
        this.taskIps(d)
          .map((ip, i) => ({
            taskArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${CLUSTER}/${d.subnet}0000000000000000${i}`,
            lastStatus: 'RUNNING',
            desiredStatus: 'RUNNING',
            startedBy: d.id,
            attachments: [
              { type: 'ElasticNetworkInterface', status: 'ATTACHED', details: [{ name: 'privateIPv4Address', value: ip }] },
            ],
          }))
          .filter((t) => wanted.has(t.taskArn)),
      ),
      failures: [],
    };
  }

  private listTasks(input: ListTasksCommandInput) {
    const deployment = this.deployments.find((d) => d.id === input.startedBy);
    const taskArns = (deployment === undefined ? [] : this.taskIps(deployment)).map(
      (_, i) => `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${CLUSTER}/${deployment?.subnet}0000000000000000${i}`,
    );
    return { taskArns };
  }

  /** Answers through `respond`, unless an armed fault fails this call first (or after its effect). */
  private serve<I>(command: Fault['command'], respond: (input: I) => unknown): (input: I) => unknown {
    return (input: I) => {
      const fault = this.armed.find((f) => f.command === command);
      if (fault === undefined) return respond(input);
      this.armed.splice(this.armed.indexOf(fault), 1);
      if (fault.afterEffect === true) respond(input);
      throw fault.error();
    };
  }

  private install(): void {
    for (const mock of [ecs, ecr, elbv2, sns, sfn]) mock.reset();
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
    const history = fixture<object>('ecs-list-service-deployments');
    const good14 = fixture<{ serviceDeployments: { serviceDeploymentArn: string }[] }>('ecs-describe-service-deployments-14');
    const revision14 = fixture<{ serviceRevisions: { serviceRevisionArn: string }[] }>('ecs-describe-service-revisions-14');

    ecs.on(DescribeServicesCommand).callsFake(this.serve(DescribeServicesCommand, () => ({ services: [this.service()], failures: [] })));
    ecs.on(ListServiceDeploymentsCommand).callsFake(
      this.serve(ListServiceDeploymentsCommand, () =>
        this.options.history === 'none' ? { serviceDeployments: [] } : history,
      ),
    );
    ecs.on(DescribeServiceDeploymentsCommand).callsFake(
      this.serve(DescribeServiceDeploymentsCommand, (input: DescribeServiceDeploymentsCommandInput) => ({
        serviceDeployments: good14.serviceDeployments.filter((d) => input.serviceDeploymentArns?.includes(d.serviceDeploymentArn)),
        failures: [],
      })),
    );
    ecs.on(DescribeServiceRevisionsCommand).callsFake(
      this.serve(DescribeServiceRevisionsCommand, (input: DescribeServiceRevisionsCommandInput) => ({
        serviceRevisions: revision14.serviceRevisions.filter((r) => input.serviceRevisionArns?.includes(r.serviceRevisionArn)),
        failures: [],
      })),
    );
    ecs.on(DescribeTaskDefinitionCommand).callsFake(
      this.serve(DescribeTaskDefinitionCommand, (input: DescribeTaskDefinitionCommandInput) => {
        const found = this.findTaskDefinition(input.taskDefinition ?? '');
        if (found === undefined) {
          throw new ClientException({ message: 'Unable to describe task definition.', $metadata: { httpStatusCode: 400 } });
        }
        return structuredClone(found);
      }),
    );
    ecs.on(RegisterTaskDefinitionCommand).callsFake(
      this.serve(RegisterTaskDefinitionCommand, (input: RegisterTaskDefinitionCommandInput) =>
        structuredClone(this.registerTaskDefinition(input)),
      ),
    );
    ecs.on(UpdateServiceCommand).callsFake(
      this.serve(UpdateServiceCommand, (input: UpdateServiceCommandInput) => this.updateService(input)),
    );
    ecs.on(ListTasksCommand).callsFake(this.serve(ListTasksCommand, (input: ListTasksCommandInput) => this.listTasks(input)));
    ecs.on(DescribeTasksCommand).callsFake(this.serve(DescribeTasksCommand, (input: DescribeTasksCommandInput) => this.tasks(input)));
    ecr.on(DescribeImagesCommand).callsFake(this.serve(DescribeImagesCommand, (input: DescribeImagesCommandInput) => this.ecrImages(input)));
    elbv2.on(DescribeTargetHealthCommand).callsFake(
      this.serve(DescribeTargetHealthCommand, () => ({ TargetHealthDescriptions: this.targetHealth() })),
    );
    sns.on(PublishCommand).callsFake(
      this.serve(PublishCommand, (input: PublishCommandInput) => {
        this.delivered.push(input);
        return { MessageId: `00000000-0000-4000-8000-${String(this.delivered.length).padStart(12, '0')}` };
      }),
    );
  }
}

/** Freezes Date at RIDERAPP.now (only Date: timers stay real); the world's beforeTask moves it on. */
export function useWorldClock(): void {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(RIDERAPP.now);
}
