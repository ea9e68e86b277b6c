/**
 * `ecs-rollback doctor`: is the safety net wired? Read-only checks of a deployed ecs-auto-rollback
 * and of every service it watches, each an ok / warn / fail finding in one line with its fix.
 */
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeImagesCommand, DescribeRepositoriesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient, ListServiceDeploymentsCommand, type Service } from '@aws-sdk/client-ecs';
import { DescribeTargetGroupsCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeRuleCommand, EventBridgeClient, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import { IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { GetKeyPolicyCommand, KMSClient } from '@aws-sdk/client-kms';
import { DescribeExecutionCommand, ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { healthUrlProblem, redactUrl } from '../lambdas/core/url-safety';
import type { ServiceConfig } from '../lambdas/shared/types';
import { healthCheckTimes } from '../local/stand-in/aws-timings';
import { type AwsConfigFor, awsErrorName, awsRead, type ConstructResource, type Deployment } from './deployment';

/** How a check came out. */
export type FindingStatus = 'ok' | 'warn' | 'fail';

/** One check's result: one line, and what to do when it is not ok. */
export interface Finding {
  readonly check: string;
  readonly status: FindingStatus;
  /** The project, or cluster/service for a per-service check. */
  readonly subject: string;
  readonly message: string;
  /** A console link or the CLI/CDK change that fixes it (warn and fail). */
  readonly fix?: string;
}

/** A finding. */
const finding = (check: string, status: FindingStatus, subject: string, message: string, fix?: string): Finding => ({
  check,
  status,
  subject,
  message,
  ...(fix === undefined || status === 'ok' ? {} : { fix }),
});

/** The slowest rollback recovery the target group may add before we warn (seconds). */
export const HEALTHY_AFTER_WARN_SECONDS = 60;

/** What each task function calls on a watched service's resources (lib/permissions.ts grants these; a test holds them together). */
export function neededPermissions(
  service: ServiceConfig,
  where: { region: string; account: string; tableArn: string | undefined; stateMachineName: string },
): Record<string, { action: string; resource: string }[]> {
  const arn = (svc: string, resource: string) => `arn:aws:${svc}:${where.region}:${where.account}:${resource}`;
  const serviceArn = arn('ecs', `service/${service.cluster}/${service.service}`);
  const table = (actions: string[]) => (where.tableArn === undefined ? [] : actions.map((action) => ({ action, resource: where.tableArn! })));
  return {
    Prepare: [
      { action: 'ecs:DescribeServices', resource: serviceArn },
      { action: 'ecs:ListServiceDeployments', resource: serviceArn },
      { action: 'states:DescribeExecution', resource: arn('states', `execution:${where.stateMachineName}:doctor`) },
      ...table(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']),
    ],
    ResolveTarget: [
      { action: 'ecs:DescribeServices', resource: serviceArn },
      { action: 'ecs:ListServiceDeployments', resource: serviceArn },
      { action: 'ecs:DescribeTaskDefinition', resource: '*' },
      { action: 'ecr:DescribeImages', resource: arn('ecr', `repository/${service.ecrRepository}`) },
    ],
    RegisterTaskDefinition: [
      { action: 'ecs:DescribeTaskDefinition', resource: '*' },
      { action: 'ecs:RegisterTaskDefinition', resource: '*' },
    ],
    UpdateService: [
      { action: 'ecs:DescribeServices', resource: serviceArn },
      { action: 'ecs:UpdateService', resource: serviceArn },
      ...table(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']),
    ],
    CheckStability: [
      { action: 'ecs:DescribeServices', resource: serviceArn },
      { action: 'ecs:DescribeTasks', resource: arn('ecs', `task/${service.cluster}/doctor`) },
      { action: 'elasticloadbalancing:DescribeTargetHealth', resource: '*' },
      { action: 'elasticloadbalancing:DescribeTargetGroups', resource: '*' },
    ],
    ProbeHealth: [{ action: 'ecs:DescribeServices', resource: serviceArn }],
    ReleaseLock: table(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']),
  };
}

interface Clients {
  readonly sfn: SFNClient;
  readonly ecs: ECSClient;
  readonly ecr: ECRClient;
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly cloudwatch: CloudWatchClient;
  readonly sqs: SQSClient;
  readonly iam: IAMClient;
  readonly events: EventBridgeClient;
  readonly kms: KMSClient;
  readonly dynamodb: DynamoDBClient;
}

function clientsFor(sfn: SFNClient, awsConfig: AwsConfigFor, region: string | undefined): Clients {
  return {
    sfn,
    ecs: new ECSClient(awsConfig('ecs', region)),
    ecr: new ECRClient(awsConfig('ecr', region)),
    elbv2: new ElasticLoadBalancingV2Client(awsConfig('elbv2', region)),
    cloudwatch: new CloudWatchClient(awsConfig('cloudwatch', region)),
    sqs: new SQSClient(awsConfig('sqs', region)),
    iam: new IAMClient(awsConfig('iam', region)),
    events: new EventBridgeClient(awsConfig('eventbridge', region)),
    kms: new KMSClient(awsConfig('kms', region)),
    dynamodb: new DynamoDBClient(awsConfig('dynamodb', region)),
  };
}

function destroy(clients: Clients): void {
  for (const [name, client] of Object.entries(clients)) if (name !== 'sfn') (client as { destroy(): void }).destroy();
}

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Console links. */
const console_ = {
  service: (region: string, s: ServiceConfig) =>
    `https://${region}.console.aws.amazon.com/ecs/v2/clusters/${s.cluster}/services/${s.service}/configuration?region=${region}`,
  repository: (region: string, account: string, name: string) =>
    `https://${region}.console.aws.amazon.com/ecr/repositories/private/${account}/${name}?region=${region}`,
  alarm: (region: string, name: string) =>
    `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#alarmsV2:alarm/${encodeURIComponent(name)}`,
  queue: (region: string, url: string) => `https://${region}.console.aws.amazon.com/sqs/v3/home?region=${region}#/queues/${encodeURIComponent(url)}`,
  rule: (region: string, name: string) => `https://${region}.console.aws.amazon.com/events/home?region=${region}#/eventbus/default/rules/${name}`,
  execution: (region: string, arn: string) => `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${arn}`,
};

async function checkService(service: ServiceConfig, deployment: Deployment, clients: Clients, region: string, now: () => Date): Promise<Finding[]> {
  const subject = `${service.cluster}/${service.service}`;
  const out: Finding[] = [];
  const add = (check: string, status: FindingStatus, message: string, fix?: string) => out.push(finding(check, status, subject, message, fix));
  const serviceLink = console_.service(region, service);

  let ecsService: Service | undefined;
  try {
    const described = await awsRead('ECS.DescribeServices', () => clients.ecs.send(new DescribeServicesCommand({ cluster: service.cluster, services: [service.service] })));
    ecsService = described.services?.find((s) => s.status === 'ACTIVE' || s.status === 'DRAINING');
  } catch (error) {
    add('service', 'fail', `cannot describe the service: ${errorText(error)}`, 'give the caller ecs:DescribeServices, check --region');
    return out;
  }
  if (ecsService === undefined) {
    add('service', 'fail', `service ${service.service} not found in cluster ${service.cluster}`, `fix the services configuration (cdk.json / EcsAutoRollback services) and cdk deploy, or create the service: ${serviceLink}`);
    return out;
  }
  const controller = ecsService.deploymentController?.type ?? 'ECS';
  if (controller !== 'ECS') {
    add('service', 'fail', `the service uses the ${controller} deployment controller: ECS never emits SERVICE_DEPLOYMENT_FAILED for it and UpdateService cannot roll it back`, `use the ECS (rolling update) deployment controller (recreate the service), or stop watching it`);
  } else {
    add('service', 'ok', `service exists (${ecsService.status}), ECS rolling update deployment controller, ${ecsService.runningCount ?? 0}/${ecsService.desiredCount ?? 0} tasks running`);
  }

  const configuration = ecsService.deploymentConfiguration;
  const breaker = configuration?.deploymentCircuitBreaker;
  if (breaker?.enable !== true) {
    add(
      'circuit-breaker',
      'fail',
      'the deployment circuit breaker is off: a failing deployment never ends in SERVICE_DEPLOYMENT_FAILED, so only alarms can start a rollback',
      `aws ecs update-service --cluster ${service.cluster} --service ${service.service} --deployment-configuration "deploymentCircuitBreaker={enable=true,rollback=false}" (CDK: circuitBreaker: { enable: true })`,
    );
  } else if (breaker.rollback === true) {
    add('circuit-breaker', 'ok', "circuit breaker on with ECS's own rollback: on a failed deployment ECS rolls back and the state machine watches it to the end and reports");
  } else {
    add('circuit-breaker', 'ok', 'circuit breaker on, its rollback off: on a failed deployment the state machine rolls back to the last known-good version');
  }

  const minimum = configuration?.minimumHealthyPercent ?? 100;
  if (minimum < 100) {
    add(
      'minimum-healthy-percent',
      'warn',
      `minimumHealthyPercent is ${minimum}: during a rollback ECS may stop ${100 - minimum}% of the running tasks before the old version is up`,
      `aws ecs update-service --cluster ${service.cluster} --service ${service.service} --deployment-configuration minimumHealthyPercent=100 (CDK: minHealthyPercent: 100)`,
    );
  } else {
    add('minimum-healthy-percent', 'ok', `minimumHealthyPercent ${minimum}: capacity stays up during a rollback`);
  }

  try {
    const td = await awsRead('ECS.DescribeTaskDefinition', () => clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: ecsService!.taskDefinition })));
    const containers = td.taskDefinition?.containerDefinitions ?? [];
    const repositoryPath = `/${service.ecrRepository}`;
    const rolled = containers.filter((c) =>
      service.containerNames !== undefined ? service.containerNames.includes(c.name ?? '') : (c.image ?? '').split(/[:@]/)[0]!.endsWith(repositoryPath),
    );
    const names = containers.map((c) => c.name).join(', ');
    if (rolled.length === 0) {
      add(
        'containers',
        'fail',
        `no container of ${td.taskDefinition?.family}:${td.taskDefinition?.revision} (${names}) ${service.containerNames === undefined ? `runs an image of ECR repository ${service.ecrRepository}` : `is named ${service.containerNames.join(', ')}`}: nothing would be rolled back`,
        'set containerNames (or ecrRepository) of this service in the configuration and cdk deploy',
      );
    } else {
      add('containers', 'ok', `${containers.length} container(s) (${names}); rolled back: ${rolled.map((c) => c.name).join(', ')}`);
    }
  } catch (error) {
    add('containers', 'fail', `cannot read the task definition ${ecsService.taskDefinition}: ${errorText(error)}`, 'give the caller ecs:DescribeTaskDefinition');
  }

  try {
    await awsRead('ECR.DescribeRepositories', () => clients.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [service.ecrRepository] })));
    const described = await awsRead('ECR.DescribeImages', () =>
      clients.ecr.send(new DescribeImagesCommand({ repositoryName: service.ecrRepository, filter: { tagStatus: 'TAGGED' }, maxResults: 100 })),
    );
    const count = described.imageDetails?.length ?? 0;
    if (count < 2) {
      add(
        'ecr-images',
        'fail',
        `repository ${service.ecrRepository} holds ${count} tagged image(s): there is no previous image to roll back to`,
        `push the previous release's image, and keep at least two in the lifecycle policy: ${console_.repository(region, deployment.account, service.ecrRepository)}`,
      );
    } else {
      add('ecr-images', 'ok', `repository ${service.ecrRepository}: ${count}${described.nextToken === undefined ? '' : '+'} tagged images, a previous one exists`);
    }
  } catch (error) {
    const name = awsErrorName(error);
    add(
      'ecr-images',
      'fail',
      name === 'RepositoryNotFoundException' ? `ECR repository ${service.ecrRepository} does not exist` : `cannot read repository ${service.ecrRepository}: ${errorText(error)}`,
      'set ecrRepository of this service to the repository its images come from, and cdk deploy',
    );
  }

  try {
    const listed = await awsRead('ECS.ListServiceDeployments', () =>
      clients.ecs.send(new ListServiceDeploymentsCommand({ cluster: service.cluster, service: service.service, status: ['SUCCESSFUL'], maxResults: 20 })),
    );
    const successful = listed.serviceDeployments ?? [];
    const current = ecsService.taskDefinition;
    const previous = successful.filter((d) => d.targetServiceRevisionArn !== undefined).length;
    if (successful.length < 2) {
      add(
        'deployment-history',
        'warn',
        `${successful.length} successful deployment(s) in the service's history: an automatic rollback needs a previous successful one (until then only ecs-rollback start --to works)`,
        `deploy a second version successfully, or roll back by hand: ecs-rollback start --cluster ${service.cluster} --service ${service.service} --to <family:revision>`,
      );
    } else {
      add('deployment-history', 'ok', `${successful.length} successful deployments (${previous} with a service revision); current task definition ${current?.slice(current.lastIndexOf('/') + 1)}`);
    }
  } catch (error) {
    add('deployment-history', 'fail', `cannot list the service's deployments: ${errorText(error)}`, 'give the caller ecs:ListServiceDeployments on the service');
  }

  const targetGroupArns = service.targetGroupArn !== undefined ? [service.targetGroupArn] : (ecsService.loadBalancers ?? []).map((lb) => lb.targetGroupArn ?? '').filter((a) => a !== '');
  if (targetGroupArns.length === 0) {
    add('target-group', 'ok', 'no target group: stability is judged by ECS alone');
  } else {
    try {
      const described = await awsRead('ELBv2.DescribeTargetGroups', () => clients.elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: targetGroupArns })));
      for (const tg of described.TargetGroups ?? []) {
        const settings = {
          intervalSeconds: tg.HealthCheckIntervalSeconds ?? 30,
          healthyThresholdCount: tg.HealthyThresholdCount ?? 5,
          unhealthyThresholdCount: tg.UnhealthyThresholdCount ?? 2,
        };
        const times = healthCheckTimes(settings);
        const text =
          `${tg.TargetGroupName}: interval ${settings.intervalSeconds} s, healthy ${settings.healthyThresholdCount}, unhealthy ${settings.unhealthyThresholdCount}: ` +
          `a new task is healthy ${times.healthyAfterSeconds.min}-${times.healthyAfterSeconds.max} s after registration (recovery), ` +
          `a failing one unhealthy after ${times.unhealthyAfterSeconds.min}-${times.unhealthyAfterSeconds.max} s (detection)`;
        if (times.healthyAfterSeconds.max > HEALTHY_AFTER_WARN_SECONDS) {
          add(
            'target-group',
            'warn',
            `${text}; every rollback waits up to ${times.healthyAfterSeconds.max} s for health checks`,
            `aws elbv2 modify-target-group --target-group-arn ${tg.TargetGroupArn} --health-check-interval-seconds 10 --healthy-threshold-count 3 (CDK: healthCheck: { interval: Duration.seconds(10), healthyThresholdCount: 3 })`,
          );
        } else {
          add('target-group', 'ok', text);
        }
      }
    } catch (error) {
      add('target-group', 'fail', `cannot read the target group(s): ${errorText(error)}`, 'check targetGroupArn of this service in the configuration');
    }
  }

  if (service.alarmNames.length > 0) {
    try {
      const described = await awsRead('CloudWatch.DescribeAlarms', () => clients.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [...service.alarmNames] })));
      for (const name of service.alarmNames) {
        const alarm = described.MetricAlarms?.find((a) => a.AlarmName === name) ?? described.CompositeAlarms?.find((a) => a.AlarmName === name);
        if (alarm === undefined) {
          add('alarm', 'fail', `alarm ${name} does not exist: it can never start a rollback`, `fix the name in alarmNames (cdk.json / EcsAutoRollback alarms) and cdk deploy, or create it: ${console_.alarm(region, name)}`);
          continue;
        }
        const metric = 'MetricName' in alarm && alarm.MetricName !== undefined ? `${alarm.Namespace}/${alarm.MetricName}` : 'composite';
        if (alarm.StateValue === 'ALARM') {
          add('alarm', 'warn', `alarm ${name} (${metric}) is in ALARM now: it will not start a rollback until it goes back to OK and fires again`, console_.alarm(region, name));
        } else if (alarm.StateValue === 'INSUFFICIENT_DATA') {
          add('alarm', 'warn', `alarm ${name} (${metric}) has INSUFFICIENT_DATA: its metric gets no datapoints (check the dimensions)`, console_.alarm(region, name));
        } else {
          add('alarm', 'ok', `alarm ${name} exists (${metric}), state ${alarm.StateValue}`);
        }
      }
    } catch (error) {
      add('alarm', 'fail', `cannot describe the alarms: ${errorText(error)}`, 'give the caller cloudwatch:DescribeAlarms');
    }
  }

  if (service.healthCheckUrl !== undefined) {
    const problem = healthUrlProblem(service.healthCheckUrl);
    if (problem !== undefined) add('health-url', 'fail', `health URL ${redactUrl(service.healthCheckUrl)}: ${problem}`, 'set healthCheckUrl to a public http(s) URL of the service and cdk deploy');
    else add('health-url', 'ok', `health URL ${redactUrl(service.healthCheckUrl)} is allowed`);
  }

  if (deployment.tableName !== undefined) {
    try {
      const item = await awsRead('DynamoDB.GetItem', () =>
        clients.dynamodb.send(new GetItemCommand({ TableName: deployment.tableName, Key: { id: { S: `lock#${service.cluster}/${service.service}` } }, ConsistentRead: true })),
      );
      const holder = item.Item?.['holder']?.S;
      const expiration = Number(item.Item?.['expiration']?.N ?? '0');
      if (holder === undefined || expiration * 1000 <= now().getTime()) {
        add('lock', 'ok', 'no lock held');
      } else {
        const executionArn = holder.startsWith('arn:') ? holder : `${deployment.stateMachineArn.replace(':stateMachine:', ':execution:')}:${holder}`;
        let status = 'UNKNOWN';
        try {
          status = (await clients.sfn.send(new DescribeExecutionCommand({ executionArn }))).status ?? 'UNKNOWN';
        } catch (error) {
          status = (error as { name?: string }).name === 'ExecutionDoesNotExist' ? 'GONE' : 'UNKNOWN';
        }
        if (status === 'RUNNING') add('lock', 'ok', `locked by the running execution ${holder}`);
        else
          add(
            'lock',
            'warn',
            `the lock is held by ${holder}, which is ${status}: the next rollback takes it over (Prepare) but until then this service's triggers are skipped`,
            `aws dynamodb delete-item --table-name ${deployment.tableName} --key '{"id":{"S":"lock#${service.cluster}/${service.service}"}}'`,
          );
      }
    } catch (error) {
      add('lock', 'warn', `cannot read the lock: ${errorText(error)}`, 'give the caller dynamodb:GetItem on the state table');
    }
  }

  out.push(...(await checkPermissions(service, deployment, clients, region, subject)));
  return out;
}

async function checkPermissions(service: ServiceConfig, deployment: Deployment, clients: Clients, region: string, subject: string): Promise<Finding[]> {
  const roles = new Map<string, string>();
  for (const r of deployment.resources) {
    const match = /Tasks([A-Za-z]+)Role[0-9A-F]{8}$/.exec(r.logicalId);
    if (r.type === 'AWS::IAM::Role' && match !== null) roles.set(match[1]!, `arn:aws:iam::${deployment.account}:role/${r.physicalId}`);
  }
  if (roles.size === 0) {
    return [finding('permissions', 'warn', subject, "the functions' roles were not found in the stack: permissions not simulated", 'run doctor with a caller that may call cloudformation:ListStackResources')];
  }
  const tableArn = deployment.tableName === undefined ? undefined : `arn:aws:dynamodb:${region}:${deployment.account}:table/${deployment.tableName}`;
  const needs = neededPermissions(service, { region, account: deployment.account, tableArn, stateMachineName: deployment.stateMachineName });
  const denied: string[] = [];
  let checked = 0;
  for (const [task, list] of Object.entries(needs)) {
    const roleArn = roles.get(task);
    if (roleArn === undefined || list.length === 0) continue;
    const byResource = new Map<string, string[]>();
    for (const { action, resource } of list) byResource.set(resource, [...(byResource.get(resource) ?? []), action]);
    for (const [resource, actions] of byResource) {
      try {
        const result = await awsRead('IAM.SimulatePrincipalPolicy', () =>
          clients.iam.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: roleArn, ActionNames: actions, ResourceArns: [resource] })),
        );
        for (const evaluation of result.EvaluationResults ?? []) {
          checked += 1;
          if (evaluation.EvalDecision !== 'allowed') denied.push(`${task}: ${evaluation.EvalActionName} on ${evaluation.EvalResourceName} (${evaluation.EvalDecision})`);
        }
      } catch (error) {
        return [finding('permissions', 'warn', subject, `cannot simulate the functions' policies: ${errorText(error)}`, 'give the caller iam:SimulatePrincipalPolicy on the roles of the stack')];
      }
    }
  }
  if (denied.length > 0) {
    return [
      finding(
        'permissions',
        'fail',
        subject,
        `the functions may not do what a rollback needs: ${denied.join('; ')}`,
        'cdk deploy the stack again (the construct grants these); if a permissions boundary or SCP denies them, allow them there',
      ),
    ];
  }
  return [finding('permissions', 'ok', subject, `${checked} actions the functions need on this service are allowed (iam:SimulatePrincipalPolicy)`)];
}

async function checkStack(deployment: Deployment, clients: Clients, region: string, project: string): Promise<Finding[]> {
  const out: Finding[] = [];
  const add = (check: string, status: FindingStatus, message: string, fix?: string) => out.push(finding(check, status, project, message, fix));
  if (deployment.stateMachineStatus !== 'ACTIVE') add('state-machine', 'fail', `state machine ${deployment.stateMachineName} is ${deployment.stateMachineStatus}`, 'cdk deploy the stack again');
  else add('state-machine', 'ok', `state machine ${deployment.stateMachineName} is ACTIVE`);
  if (deployment.stackName === undefined) {
    add('stack', 'warn', 'the state machine has no aws:cloudformation:stack-name tag: the stack cannot be read', 'deploy with CloudFormation (cdk deploy)');
  } else {
    const healthy = /_COMPLETE$/.test(deployment.stackStatus ?? '') && !/ROLLBACK|DELETE/.test(deployment.stackStatus ?? '');
    add('stack', healthy ? 'ok' : 'warn', `stack ${deployment.stackName}: ${deployment.stackStatus ?? 'unknown status'}`, `https://${region}.console.aws.amazon.com/cloudformation/home?region=${region}#/stacks`);
  }
  if (deployment.services === undefined) {
    add('services-config', 'fail', `cannot read the watched services: ${deployment.servicesProblem ?? 'unknown'}`, 'cdk deploy the stack again (it writes the config#services item)');
  } else {
    add('services-config', 'ok', `${deployment.services.length} watched service(s): ${deployment.services.map((s) => `${s.cluster}/${s.service}`).join(', ')}`);
  }

  const detector = detectorResources(deployment);
  /** The detector rules' event patterns, for the detector check (undefined: a rule could not be read). */
  const detectorPatterns: (string | undefined)[] = [];
  for (const rule of deployment.resources.filter((r) => r.type === 'AWS::Events::Rule')) {
    const lockRelease = /LockRelease/.test(rule.logicalId);
    const toDetector = detector.rules.includes(rule);
    const expected = lockRelease ? 'the ReleaseLock function' : toDetector ? 'the task-stop detector function' : 'the state machine';
    try {
      const described = await awsRead('EventBridge.DescribeRule', () => clients.events.send(new DescribeRuleCommand({ Name: rule.physicalId })));
      const targets = await awsRead('EventBridge.ListTargetsByRule', () => clients.events.send(new ListTargetsByRuleCommand({ Rule: rule.physicalId })));
      if (toDetector) detectorPatterns.push(described.State === 'ENABLED' ? (described.EventPattern ?? '{}') : undefined);
      const target = (targets.Targets ?? []).find((t) =>
        lockRelease
          ? /:lambda:.*ReleaseLock/.test(t.Arn ?? '') || /:function:/.test(t.Arn ?? '')
          : toDetector
            ? detector.function !== undefined && (t.Arn ?? '').split(':')[6] === detector.function.physicalId
            : t.Arn === deployment.stateMachineArn,
      );
      const what = toDetector ? 'its stopped tasks are never counted' : 'its events never start a rollback';
      if (described.State !== 'ENABLED') {
        add('rule', 'fail', `rule ${rule.physicalId} is ${described.State}: ${what}`, `aws events enable-rule --name ${rule.physicalId}`);
      } else if (target === undefined) {
        add('rule', 'fail', `rule ${rule.physicalId} does not target ${expected}: ${what}`, `cdk deploy the stack again: ${console_.rule(region, rule.physicalId)}`);
      } else {
        const short = lockRelease ? 'ReleaseLock' : toDetector ? 'the task-stop detector' : 'the state machine';
        add('rule', 'ok', `rule ${rule.physicalId} is enabled and targets ${short}${target.DeadLetterConfig?.Arn === undefined ? '' : ' (with a DLQ)'}`);
      }
    } catch (error) {
      if (toDetector) detectorPatterns.push(undefined);
      add('rule', 'fail', `cannot read rule ${rule.physicalId}: ${errorText(error)}`, 'give the caller events:DescribeRule and events:ListTargetsByRule');
    }
  }
  out.push(...(await checkDetector(deployment, detector, detectorPatterns, clients, region, project)));

  const queueUrl = deployment.outputs['DeadLetterQueueUrl'] ?? deployment.resources.find((r) => r.type === 'AWS::SQS::Queue' && /DeadLetterQueue/.test(r.logicalId))?.physicalId;
  if (queueUrl !== undefined) {
    try {
      const attributes = await awsRead('SQS.GetQueueAttributes', () =>
        clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] })),
      );
      const waiting = Number(attributes.Attributes?.ApproximateNumberOfMessages ?? '0') + Number(attributes.Attributes?.ApproximateNumberOfMessagesNotVisible ?? '0');
      if (waiting > 0) {
        add('dead-letter-queue', 'warn', `${waiting} trigger event(s) EventBridge could not deliver are in the dead-letter queue: those rollbacks never started`, `read them and start what is still needed by hand: ${console_.queue(region, queueUrl)}`);
      } else {
        add('dead-letter-queue', 'ok', 'the dead-letter queue is empty: no trigger was lost');
      }
    } catch (error) {
      add('dead-letter-queue', 'warn', `cannot read the dead-letter queue: ${errorText(error)}`, 'give the caller sqs:GetQueueAttributes on it');
    }
  }

  const key = deployment.resources.find((r) => r.type === 'AWS::KMS::Key' && /OperationsKey[0-9A-F]{8}$/.test(r.logicalId));
  if (key !== undefined) {
    try {
      const policy = await awsRead('KMS.GetKeyPolicy', () => clients.kms.send(new GetKeyPolicyCommand({ KeyId: key.physicalId, PolicyName: 'default' })));
      if (keyLetsCloudWatchPublish(policy.Policy ?? '{}')) {
        add('operations-key', 'ok', "the operations topic's key lets CloudWatch alarms publish (kms:GenerateDataKey*, kms:Decrypt for cloudwatch.amazonaws.com)");
      } else {
        add(
          'operations-key',
          'fail',
          "the operations topic's key does not let cloudwatch.amazonaws.com use it: the stack's own alarms cannot notify anyone",
          `add to the key policy of ${key.physicalId}: Allow cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey* (cdk deploy the stack again restores it)`,
        );
      }
    } catch (error) {
      add('operations-key', 'warn', `cannot read the operations key's policy: ${errorText(error)}`, 'give the caller kms:GetKeyPolicy on it');
    }
  }

  try {
    const listed = await awsRead('ListExecutions', () => clients.sfn.send(new ListExecutionsCommand({ stateMachineArn: deployment.stateMachineArn, maxResults: 10 })));
    // Self-tests (ecs-rollback selftest) are dry runs: they are not the rollbacks this check is about.
    const all = listed.executions ?? [];
    const executions = all.filter((e) => !(e.name ?? '').startsWith('selftest-'));
    const selftests = all.length - executions.length;
    const note = selftests === 0 ? '' : ` (${selftests} self-test(s) not counted)`;
    const ended = executions.filter((e) => e.status !== 'RUNNING');
    const bad = ended.filter((e) => e.status === 'FAILED' || e.status === 'TIMED_OUT' || e.status === 'ABORTED');
    const counts = [...new Set(ended.map((e) => e.status))].map((s) => `${ended.filter((e) => e.status === s).length} ${s}`).join(', ');
    if (executions.length === 0) add('executions', 'ok', `no rollback yet${note}`);
    else if (bad.length > 0) {
      const last = bad[0]!;
      add('executions', 'warn', `last ${executions.length} executions: ${counts}; the latest unsuccessful: ${last.name} ${last.status}${note}`, `ecs-rollback status ${last.executionArn} (or ${console_.execution(region, last.executionArn ?? '')})`);
    } else add('executions', 'ok', `last ${executions.length} executions: ${counts || 'running'}${note}`);
  } catch (error) {
    add('executions', 'warn', `cannot list executions: ${errorText(error)}`, 'give the caller states:ListExecutions');
  }
  return out;
}

/** The task-stop detector's resources in the stack, by the logical ids lib/constructs/detector.ts gives them. */
interface DetectorResources {
  readonly function?: ConstructResource;
  readonly role?: ConstructResource;
  readonly rules: readonly ConstructResource[];
}

/** The logical ids CloudFormation gives the detector's function, role and rules (a synth test holds them to the construct). */
export const DETECTOR_LOGICAL_IDS = {
  function: /TaskStopDetectorFunction[0-9A-F]{8}$/,
  role: /TaskStopDetectorRole[0-9A-F]{8}$/,
  rule: /TaskStopDetectorTaskStopped\d+[0-9A-F]{8}$/,
} as const;

function detectorResources(deployment: Deployment): DetectorResources {
  const at = (type: string, pattern: RegExp) => deployment.resources.filter((r) => r.type === type && pattern.test(r.logicalId));
  return {
    function: at('AWS::Lambda::Function', DETECTOR_LOGICAL_IDS.function)[0],
    role: at('AWS::IAM::Role', DETECTOR_LOGICAL_IDS.role)[0],
    rules: at('AWS::Events::Rule', DETECTOR_LOGICAL_IDS.rule),
  };
}

/** What the task-stop detector calls (lib/constructs/detector.ts grants these; a test holds them together). */
export function detectorNeeds(
  services: readonly Pick<ServiceConfig, 'cluster' | 'service'>[],
  where: { region: string; account: string; tableArn: string | undefined; stateMachineArn: string },
): { action: string; resource: string }[] {
  return [
    ...services.map((s) => ({ action: 'ecs:DescribeServices', resource: `arn:aws:ecs:${where.region}:${where.account}:service/${s.cluster}/${s.service}` })),
    ...(where.tableArn === undefined ? [] : ['dynamodb:GetItem', 'dynamodb:UpdateItem'].map((action) => ({ action, resource: where.tableArn! }))),
    { action: 'states:StartExecution', resource: where.stateMachineArn },
  ];
}

/** The cluster name of `arn:aws:ecs:<region>:<account>:cluster/<name>`, or the text itself. */
const clusterName = (clusterArn: string): string => clusterArn.replace(/^arn:[^:]+:ecs:[^:]*:[^:]*:cluster\//, '');

/** The watched services no enabled detector rule delivers (cluster/service), from the rules' patterns. */
function servicesNotDetected(services: readonly ServiceConfig[], patterns: readonly string[]): string[] {
  const delivered = new Set<string>();
  for (const text of patterns) {
    let detail: { clusterArn?: unknown; group?: unknown };
    try {
      detail = ((JSON.parse(text) as { detail?: unknown }).detail ?? {}) as typeof detail;
    } catch {
      continue;
    }
    const clusters = [detail.clusterArn ?? []].flat().filter((c): c is string => typeof c === 'string').map(clusterName);
    const groups = [detail.group ?? []].flat().filter((g): g is string => typeof g === 'string' && g.startsWith('service:'));
    for (const cluster of clusters) for (const group of groups) delivered.add(`${cluster}/${group.slice('service:'.length)}`);
  }
  return services.map((s) => `${s.cluster}/${s.service}`).filter((name) => !delivered.has(name));
}

/**
 * The task-stop detector (taskStopDetector in the configuration): off, or its rules deliver every
 * watched service's stopping tasks and its role may read the services, count in the state table
 * and start the state machine (iam:SimulatePrincipalPolicy).
 */
async function checkDetector(
  deployment: Deployment,
  detector: DetectorResources,
  patterns: readonly (string | undefined)[],
  clients: Clients,
  region: string,
  project: string,
): Promise<Finding[]> {
  const check = 'task-stop-detector';
  if (detector.function === undefined) {
    return [
      finding(
        check,
        'ok',
        project,
        "off (taskStopDetector.enabled is false): bad versions are caught by ECS's circuit breaker and the alarms only, not from their stopped tasks",
      ),
    ];
  }
  if (detector.rules.length === 0) {
    return [finding(check, 'fail', project, `function ${detector.function.physicalId} is deployed but no rule feeds it stopped tasks`, 'cdk deploy the stack again')];
  }
  if (patterns.some((p) => p === undefined)) {
    return [finding(check, 'fail', project, 'a detector rule is disabled or unreadable (see the rule findings): stopped tasks of its services are not counted', 'fix the rule findings above')];
  }
  const services = deployment.services ?? [];
  const missing = servicesNotDetected(services, patterns as string[]);
  if (missing.length > 0) {
    return [
      finding(
        check,
        'fail',
        project,
        `no detector rule delivers the stopped tasks of ${missing.join(', ')}: a bad version of ${missing.length === 1 ? 'it' : 'them'} is caught by the circuit breaker and the alarms only`,
        'cdk deploy the stack again (the rules are generated from the watched services)',
      ),
    ];
  }
  if (detector.role === undefined) {
    return [finding(check, 'warn', project, "the detector's role was not found in the stack: its permissions were not simulated", 'run doctor with a caller that may call cloudformation:ListStackResources')];
  }
  const roleArn = `arn:aws:iam::${deployment.account}:role/${detector.role.physicalId}`;
  const tableArn = deployment.tableName === undefined ? undefined : `arn:aws:dynamodb:${region}:${deployment.account}:table/${deployment.tableName}`;
  const needs = detectorNeeds(services, { region, account: deployment.account, tableArn, stateMachineArn: deployment.stateMachineArn });
  const denied: string[] = [];
  const byResource = new Map<string, string[]>();
  for (const { action, resource } of needs) byResource.set(resource, [...(byResource.get(resource) ?? []), action]);
  try {
    for (const [resource, actions] of byResource) {
      const result = await awsRead('IAM.SimulatePrincipalPolicy', () =>
        clients.iam.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: roleArn, ActionNames: actions, ResourceArns: [resource] })),
      );
      for (const evaluation of result.EvaluationResults ?? []) {
        if (evaluation.EvalDecision !== 'allowed') denied.push(`${evaluation.EvalActionName} on ${evaluation.EvalResourceName} (${evaluation.EvalDecision})`);
      }
    }
  } catch (error) {
    return [finding(check, 'warn', project, `cannot simulate the detector's policy: ${errorText(error)}`, 'give the caller iam:SimulatePrincipalPolicy on the roles of the stack')];
  }
  if (denied.length > 0) {
    return [
      finding(
        check,
        'fail',
        project,
        `the detector may not do what a detection needs: ${denied.join('; ')}`,
        'cdk deploy the stack again (the construct grants these); if a permissions boundary or SCP denies them, allow them there',
      ),
    ];
  }
  return [
    finding(
      check,
      'ok',
      project,
      `on: ${detector.rules.length} rule(s) deliver the stopped tasks of all ${services.length} watched service(s) to ${detector.function.physicalId}, whose role may read them, count and start the state machine`,
    ),
  ];
}

/** True when a key policy allows the CloudWatch service principal kms:Decrypt and kms:GenerateDataKey*. */
export function keyLetsCloudWatchPublish(policyText: string): boolean {
  let policy: { Statement?: unknown };
  try {
    policy = JSON.parse(policyText) as { Statement?: unknown };
  } catch {
    return false;
  }
  const statements = [policy.Statement ?? []].flat() as { Effect?: string; Principal?: { Service?: string | string[] } | string; Action?: string | string[] }[];
  const allowed = (action: string) =>
    statements.some((s) => {
      if (s.Effect !== 'Allow') return false;
      const services = typeof s.Principal === 'object' ? [s.Principal.Service ?? []].flat() : [];
      if (!services.includes('cloudwatch.amazonaws.com')) return false;
      return [s.Action ?? []].flat().some((a) => a === 'kms:*' || a === action || (a.endsWith('*') && action.startsWith(a.slice(0, -1))));
    });
  return allowed('kms:Decrypt') && allowed('kms:GenerateDataKey');
}

/** Every finding for the deployment and each watched service (services checked one after another). */
export async function doctorFindings(
  deployment: Deployment,
  sfn: SFNClient,
  awsConfig: AwsConfigFor,
  project: string,
  now: () => Date = () => new Date(),
): Promise<Finding[]> {
  const region = deployment.region ?? deployment.stateMachineArn.split(':')[3] ?? 'us-east-1';
  const clients = clientsFor(sfn, awsConfig, deployment.region ?? region);
  try {
    const findings = await checkStack(deployment, clients, region, project);
    for (const service of deployment.services ?? []) findings.push(...(await checkService(service, deployment, clients, region, now)));
    return findings;
  } finally {
    destroy(clients);
  }
}

/** Findings as lines: `FAIL  riderapp-cluster/riderapp-service  circuit-breaker: ...` then `      fix: ...`. */
export function formatFindings(findings: readonly Finding[]): string {
  const lines: string[] = [];
  for (const f of findings) {
    lines.push(`${f.status.toUpperCase().padEnd(4)}  ${f.subject}  ${f.check}: ${f.message}`);
    if (f.fix !== undefined) lines.push(`      fix: ${f.fix}`);
  }
  const count = (status: FindingStatus) => findings.filter((f) => f.status === status).length;
  lines.push('', `${count('ok')} ok, ${count('warn')} warning(s), ${count('fail')} failure(s)`);
  return lines.join('\n');
}
