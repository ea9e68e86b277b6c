/**
 * The demo's scenarios: each sets the stage in a world, hands the state machine the input that
 * EventBridge (or a person) would give it, and declares the ending it expects. verify() lists the
 * expectations that did not hold.
 */
import type { ManualStartInput, NotificationKind } from '../../lambdas/shared/types';
import type { AwsModel, PublishedMessage, ServiceSummary, StandInEvent } from '../stand-in/index';
import { attachDetector, type HarnessDetector, type HarnessDetectorOptions } from './detector';
import { type RollbackRun, type RunRollbackOptions, runRollback, shortTaskDefinition, stepFunctionsOf } from './run';
import { RIDERAPP, type World, type WorldOptions } from './world';

/** The scenarios `npm run demo -- --scenario <name>` plays, the default first. */
export const SCENARIO_NAMES = [
  'deployment-failed',
  'alarm-after-deploy',
  'manual-to-revision',
  'dry-run',
  'no-previous-version',
  'rollback-also-fails',
  'regression-after-complete',
  'crash-loop-small-service',
  'dependency-outage',
] as const;

/** How long a detector scenario lets modelled time run for the detector to start a rollback. */
export const DETECTOR_WITHIN_MS = 30 * 60_000;

/** A scenario's name. */
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** The ending a scenario expects. */
export interface ExpectedEnding {
  /** The one notification the execution sends. */
  readonly notification: NotificationKind;
  /** `family:revision` the service runs at the end (or a copy whose project image is that revision's image). */
  readonly taskDefinition: string;
  /** Steady once old tasks drained (true), never steady (false), or not judged. */
  readonly healthy?: boolean;
  /** UpdateService calls the stand-in accepted. */
  readonly deployments: number;
  /** Task definitions registered. */
  readonly registrations?: number;
  /** How the execution ends. @default FAILED for a failure notification, else SUCCEEDED */
  readonly execution?: 'SUCCEEDED' | 'FAILED';
  /** StopServiceDeployment (ROLLBACK) calls the stand-in accepted. @default 0 */
  readonly nativeRollbacks?: number;
}

/** What the stage hands the state machine. */
export interface ScenarioTrigger {
  /** The execution input: the stand-in's EventBridge event, or a manual start. */
  readonly input: unknown;
  /** One line on what happened. */
  readonly description: string;
  /** The task-stop detector starts the execution itself: let modelled time run until it does (no `input` then). */
  readonly detect?: true;
}

/** A scenario's run, and the service afterwards. */
export interface ScenarioOutcome {
  readonly scenario: ScenarioName;
  readonly trigger: ScenarioTrigger;
  readonly run: RollbackRun;
  /** The service when the trigger fired. */
  readonly before: ServiceSummary;
  /** The service when the execution ended. */
  readonly after: ServiceSummary;
  /** The service after old tasks drained (modelled time moved on until steady, or a limit). */
  readonly settled: { readonly summary: ServiceSummary; readonly steady: boolean; readonly afterModelMs: number };
  /** `family:revision` the service runs at the end. */
  readonly finalTaskDefinition: string;
  /** The kind of the (last) notification published, from its `status` attribute (undefined when none was sent). */
  readonly notificationKind?: NotificationKind;
  /** UpdateService / RegisterTaskDefinition / StopServiceDeployment calls the stand-in accepted during the run. */
  readonly deployments: number;
  readonly registrations: number;
  readonly nativeRollbacks: number;
  /** The task-stop detector, when the scenario deploys it. */
  readonly detector?: HarnessDetector;
}

/** One scenario. */
export interface Scenario {
  readonly name: ScenarioName;
  readonly title: string;
  /** A few lines: the situation and what should happen. */
  readonly story: readonly string[];
  readonly world: Omit<WorldOptions, 'bundles'>;
  /** The task-stop detector is deployed with these settings (its rule feeds it the stand-in's task events). */
  readonly detector?: HarnessDetectorOptions;
  readonly expected: ExpectedEnding;
  /** Sets the stage (deploys, advances modelled time) and returns the execution input. */
  prepare(world: World): ScenarioTrigger;
  /** The expectations that did not hold (empty: the scenario ended as expected). */
  verify(world: World, outcome: ScenarioOutcome): string[];
}

const { cluster: CLUSTER, service: SERVICE } = RIDERAPP;
/** How long a scenario lets the service settle after the execution (old tasks drain for 300 s). */
export const SETTLE_LIMIT_MS = 15 * 60_000;

/** True for the ECS event of a failed deployment. */
export function isDeploymentFailed(event: StandInEvent): boolean {
  return event['detail-type'] === 'ECS Deployment State Change' && event.detail.eventName === 'SERVICE_DEPLOYMENT_FAILED';
}

/** True for an alarm going into ALARM. */
export function isAlarm(event: StandInEvent): boolean {
  return event['detail-type'] === 'CloudWatch Alarm State Change' && event.detail.state.value === 'ALARM';
}

/** The project's image (the container whose image comes from the project's ECR repository) of a task definition. */
function projectImage(model: AwsModel, taskDefinition: string, repository: string): string | undefined {
  const record = model.findTaskDefinition(taskDefinition);
  return record?.definition.containerDefinitions.find((c) => /\/([^/:@]+)[:@]/.exec(c.image)?.[1] === repository)?.image;
}

/** The ECR digest of the project's image in a task definition. */
export function projectImageDigest(model: AwsModel, taskDefinition: string, repository: string = RIDERAPP.ecrRepository): string | undefined {
  const image = projectImage(model, taskDefinition, repository);
  const found = image === undefined ? undefined : model.lookupEcrImage(image);
  return found === undefined || found === 'missing' ? undefined : found.digest;
}

/** Whether the service runs `expected` (`family:revision`) or a copy whose project image is the same ECR image. */
export function runsRevision(model: AwsModel, current: string, expected: string): boolean {
  if (shortTaskDefinition(current) === expected) return true;
  const want = projectImageDigest(model, expected);
  return want !== undefined && projectImageDigest(model, current) === want;
}

/** The expectations of `expected` that the outcome does not meet. */
export function unmetExpectations(world: World, expected: ExpectedEnding, outcome: ScenarioOutcome): string[] {
  const unmet: string[] = [];
  const { result } = outcome.run;
  const execution = expected.execution ?? (expected.notification === 'failure' ? 'FAILED' : 'SUCCEEDED');
  if (result.status !== execution) unmet.push(`the execution ended ${result.status}${result.error ? ` (${result.error.Error})` : ''}, expected ${execution}`);
  if (outcome.run.notifications.length !== 1) unmet.push(`${outcome.run.notifications.length} notifications were published, expected 1`);
  if (outcome.notificationKind !== expected.notification) {
    unmet.push(`the notification was ${outcome.notificationKind ?? 'not sent'}, expected ${expected.notification}`);
  }
  if (!runsRevision(world.model, outcome.settled.summary.taskDefinition, expected.taskDefinition)) {
    unmet.push(`the service runs ${outcome.finalTaskDefinition}, expected ${expected.taskDefinition}`);
  }
  if (expected.healthy === true && !outcome.settled.steady) {
    unmet.push(`the service is not steady and healthy (${describeService(outcome.settled.summary)})`);
  }
  if (expected.healthy === false && outcome.settled.steady) unmet.push('the service is steady, expected it not to be');
  if (outcome.deployments !== expected.deployments) unmet.push(`${outcome.deployments} UpdateService calls were accepted, expected ${expected.deployments}`);
  if (outcome.nativeRollbacks !== (expected.nativeRollbacks ?? 0)) {
    unmet.push(`${outcome.nativeRollbacks} StopServiceDeployment calls were accepted, expected ${expected.nativeRollbacks ?? 0}`);
  }
  if (expected.registrations !== undefined && outcome.registrations !== expected.registrations) {
    unmet.push(`${outcome.registrations} task definitions were registered, expected ${expected.registrations}`);
  }
  const contract = world.standIn.contract.violations;
  if (contract.length > 0) unmet.push(`the stand-in left AWS's API models ${contract.length} time(s): ${world.standIn.contract.summary().split('\n')[0]}`);
  return unmet;
}

/** The kind of a published notification (its `status` message attribute). */
export function notificationKindOf(message: PublishedMessage | undefined): NotificationKind | undefined {
  const status = message?.messageAttributes['status']?.StringValue;
  return status === 'success' || status === 'skipped' || status === 'dry-run' || status === 'failure' ? status : undefined;
}

/**
 * The endings a published message tells people about: one for a notification, one per service for
 * a digest (its `service` and `status` String.Array attributes, in the same order).
 */
export function endingsOf(message: PublishedMessage): Array<{ readonly service: string; readonly status: string }> {
  const list = (name: string): string[] => {
    const attribute = message.messageAttributes[name];
    if (attribute?.DataType === 'String.Array') return JSON.parse(attribute.StringValue ?? '[]') as string[];
    return [attribute?.StringValue ?? '?'];
  };
  const statuses = list('status');
  return list('service').map((service, i) => ({ service, status: statuses[i] ?? '?' }));
}

/** "riderapp:14, 3/3 running, targets 3 healthy, 3 draining" */
export function describeService(summary: ServiceSummary): string {
  const targets = Object.entries(summary.targets)
    .filter(([, n]) => n > 0)
    .map(([state, n]) => `${n} ${state}`)
    .join(', ');
  const primary = summary.deployments[0];
  return (
    `${shortTaskDefinition(summary.taskDefinition)}, ${summary.runningCount}/${summary.desiredCount} running` +
    `${primary === undefined ? '' : `, deployment ${primary.rolloutState}`}, targets: ${targets || 'none'}${summary.steady ? ' (steady)' : ''}`
  );
}

/** Lets modelled time run (old tasks drain) until the service is steady or `limitMs` passed. */
export function settle(world: World, cluster: string, service: string, limitMs = SETTLE_LIMIT_MS, stepMs = 5_000): ScenarioOutcome['settled'] {
  const started = world.now();
  let summary = world.model.summary(cluster, service);
  while (!summary.steady && world.now() - started < limitMs) {
    world.advance(stepMs);
    summary = world.model.summary(cluster, service);
  }
  return { summary, steady: summary.steady, afterModelMs: world.now() - started };
}

/** Sets the stage of a scenario in the world, runs the state machine, then lets the service settle. */
export async function runScenario(world: World, scenario: Scenario, options: RunRollbackOptions & { onTrigger?: (trigger: ScenarioTrigger) => void } = {}): Promise<ScenarioOutcome> {
  const detector = scenario.detector === undefined ? undefined : await attachDetector(world, scenario.detector);
  const trigger = scenario.prepare(world);
  options.onTrigger?.(trigger);
  const before = world.model.summary(CLUSTER, SERVICE);
  const accepted = (operation: string) => world.standIn.calls.succeeded(operation, 'ECS').length;
  const [deploymentsBefore, registrationsBefore, stopsBefore] = [accepted('UpdateService'), accepted('RegisterTaskDefinition'), accepted('StopServiceDeployment')];
  let run: RollbackRun | undefined;
  if (trigger.detect === true && detector !== undefined) {
    stepFunctionsOf(world).runOptions = {
      ...(options.onPhase === undefined ? {} : { onPhase: options.onPhase }),
      ...(options.latency === undefined ? {} : { latency: options.latency }),
    };
    await detector.advance({ withinMs: DETECTOR_WITHIN_MS });
    run = await detector.run();
    if (run === undefined) throw new Error(`${scenario.name}: the task-stop detector started no rollback within ${DETECTOR_WITHIN_MS / 60_000} modelled minutes`);
  } else {
    run = await runRollback(world, trigger.input, options);
  }
  const after = world.model.summary(CLUSTER, SERVICE);
  const settled = settle(world, CLUSTER, SERVICE);
  await detector?.idle();
  const notificationKind = notificationKindOf(run.notifications.at(-1));
  return {
    scenario: scenario.name,
    trigger: trigger.detect === true ? { ...trigger, input: JSON.parse(detector?.executions()[0]?.input ?? 'null') as unknown } : trigger,
    run,
    before,
    after,
    settled,
    finalTaskDefinition: shortTaskDefinition(settled.summary.taskDefinition),
    ...(notificationKind === undefined ? {} : { notificationKind }),
    deployments: accepted('UpdateService') - deploymentsBefore,
    registrations: accepted('RegisterTaskDefinition') - registrationsBefore,
    nativeRollbacks: accepted('StopServiceDeployment') - stopsBefore,
    ...(detector === undefined ? {} : { detector }),
  };
}

/** Deploys `taskDefinition` and lets modelled time run until ECS reports the deployment COMPLETED. */
export function deployAndComplete(world: World, taskDefinition: string, withinMs = 30 * 60_000): void {
  world.model.deploy(CLUSTER, SERVICE, taskDefinition);
  const started = world.now();
  while (world.model.summary(CLUSTER, SERVICE).deployments[0]?.rolloutState !== 'COMPLETED') {
    if (world.now() - started > withinMs) throw new Error(`deployAndComplete: ${taskDefinition} did not complete within ${withinMs / 60_000} modelled minutes`);
    world.advance(5_000);
  }
}

/** The modelled time of the first accepted rollback call (UpdateService or StopServiceDeployment), if any. */
export function firstRollbackCallAt(world: World): number | undefined {
  const calls = [...world.standIn.calls.succeeded('UpdateService', 'ECS'), ...world.standIn.calls.succeeded('StopServiceDeployment', 'ECS')];
  return calls.length === 0 ? undefined : Math.min(...calls.map((c) => c.modelTime));
}

/** The modelled time the alarm first went into ALARM, if it did. */
export function firstAlarmAt(world: World): number | undefined {
  const alarm = world.events.find(isAlarm);
  return alarm === undefined ? undefined : Date.parse(alarm.time);
}

/** Deploys `taskDefinition` to riderapp-service and advances modelled time until ECS reports SERVICE_DEPLOYMENT_FAILED; returns that event. */
export function deployAndFail(world: World, taskDefinition: string): StandInEvent {
  world.model.deploy(CLUSTER, SERVICE, taskDefinition);
  return world.advanceUntilEvent(isDeploymentFailed);
}

const eventLine = (event: StandInEvent): string => {
  if (event['detail-type'] === 'ECS Deployment State Change') {
    return `EventBridge delivers ${event.detail.eventName} for deployment ${event.detail.deploymentId} (${event.time})`;
  }
  if (event['detail-type'] === 'ECS Task State Change') {
    return `EventBridge delivers task ${event.detail.taskArn.split('/').pop()} ${event.detail.lastStatus} (desired ${event.detail.desiredStatus}) (${event.time})`;
  }
  return `EventBridge delivers the alarm ${event.detail.alarmName} going ${event.detail.previousState.value} -> ${event.detail.state.value} (${event.time})`;
};

/** A service with one task definition revision and one image: nothing to go back to. */
export function seedSingleRevision(model: AwsModel): void {
  const repository = model.createRepository(RIDERAPP.ecrRepository, model.now() - 7 * 86_400_000);
  model.pushImage(repository.name, { tags: ['v1'], pushedAt: model.now() - 86_400_000 });
  const td = model.registerTaskDefinition(
    {
      family: 'riderapp',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '512',
      memory: '1024',
      containerDefinitions: [
        { name: 'riderapp', image: `${repository.uri}:v1`, essential: true, portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: 'tcp' }] },
      ],
    },
    { registeredAt: model.now() - 86_400_000 },
  );
  const tg = model.createTargetGroup({ name: 'riderapp-tg', port: 8080, loadBalancerName: 'riderapp-alb' });
  model.createService({
    cluster: CLUSTER,
    name: SERVICE,
    taskDefinition: `riderapp:${td.revision}`,
    desiredCount: 2,
    loadBalancers: [{ targetGroupArn: tg.arn, containerName: 'riderapp', containerPort: 8080 }],
    steadySince: model.now() - 86_400_000,
  });
}

function scenario(definition: Omit<Scenario, 'verify'> & { extraChecks?: (world: World, outcome: ScenarioOutcome) => string[] }): Scenario {
  const { extraChecks, ...rest } = definition;
  return {
    ...rest,
    verify: (world, outcome) => [...unmetExpectations(world, definition.expected, outcome), ...(extraChecks?.(world, outcome) ?? [])],
  };
}

const manual = (start: ManualStartInput): ManualStartInput => start;

/** Every scenario, by name. */
export const SCENARIOS: Readonly<Record<ScenarioName, Scenario>> = {
  'deployment-failed': scenario({
    name: 'deployment-failed',
    title: 'A failed deployment is rolled back',
    story: [
      'riderapp-service (riderapp-cluster) runs riderapp:14: 3 tasks, healthy behind riderapp-alb.',
      "riderapp:15 is deployed; its tasks fail to start, ECS's circuit breaker fails the deployment",
      'and EventBridge delivers SERVICE_DEPLOYMENT_FAILED to the state machine.',
    ],
    world: {},
    expected: { notification: 'success', taskDefinition: 'riderapp:14', healthy: true, deployments: 1 },
    prepare(world) {
      const event = deployAndFail(world, 'riderapp:15');
      return { input: event, description: `riderapp:15 deployed; its tasks fail to start. ${eventLine(event)}` };
    },
  }),
  'alarm-after-deploy': scenario({
    name: 'alarm-after-deploy',
    title: 'An alarm soon after a deployment rolls it back',
    story: [
      'riderapp:15 deploys fine (COMPLETED), then its tasks start failing health checks in riderapp-tg;',
      'ECS stops each unhealthy task and starts another riderapp:15 task in its place (after 15 s, the',
      "stand-in's estimate). Once two one-minute datapoints saw unhealthy targets, the UnHealthyHostCount alarm",
      'riderapp-unhealthy-hosts goes into ALARM within the 60-minute rollback window, and rolls back to riderapp:14.',
    ],
    world: { riderapp: { v15Behaviour: 'regression' } },
    expected: { notification: 'success', taskDefinition: 'riderapp:14', healthy: true, deployments: 1 },
    prepare(world) {
      world.model.deploy(CLUSTER, SERVICE, 'riderapp:15');
      const event = world.advanceUntilEvent(isAlarm);
      return { input: event, description: `riderapp:15 deployed and completed, then turned unhealthy. ${eventLine(event)}` };
    },
    extraChecks: (_world, outcome) =>
      outcome.run.result.output?.request?.trigger.kind === 'alarm' ? [] : ['the execution did not treat its input as an alarm'],
  }),
  'manual-to-revision': scenario({
    name: 'manual-to-revision',
    title: 'A person rolls back to a chosen revision',
    story: [
      'riderapp-service runs riderapp:14 and is healthy; someone on call wants riderapp:13 back',
      '(e.g. from the Step Functions console, `ecs-rollback start --to riderapp:13`, or the GitHub workflow).',
    ],
    world: {},
    expected: { notification: 'success', taskDefinition: 'riderapp:13', healthy: true, deployments: 1 },
    prepare: () => ({
      input: manual({
        cluster: CLUSTER,
        service: SERVICE,
        target: { taskDefinition: 'riderapp:13' },
        confirm: 'CONFIRM',
        requestedBy: 'oncall@riderapp.example',
        reason: 'riderapp:14 double-charges some rides; back to riderapp:13 until it is fixed',
      }),
      description: 'A manual start asks for riderapp:13 (confirm: CONFIRM).',
    }),
  }),
  'dry-run': scenario({
    name: 'dry-run',
    title: 'A dry run plans a rollback and changes nothing',
    story: [
      'riderapp-service runs riderapp:14 and is healthy; someone asks what a rollback would do',
      '(dryRun: true): everything up to UpdateService runs, then a notification describes the plan.',
    ],
    world: {},
    expected: { notification: 'dry-run', taskDefinition: 'riderapp:14', healthy: true, deployments: 0, registrations: 0 },
    prepare: () => ({
      input: manual({ cluster: CLUSTER, service: SERVICE, dryRun: true, requestedBy: 'oncall@riderapp.example' }),
      description: 'A manual start with dryRun: true (no target: the previous known-good version).',
    }),
  }),
  'no-previous-version': scenario({
    name: 'no-previous-version',
    title: 'Nothing to go back to: skipped',
    story: [
      'riderapp-service has only ever run riderapp:1 (one task definition revision, one image);',
      'a rollback is asked for, but there is no earlier version: skip, notify, change nothing.',
    ],
    world: { riderapp: false, seed: seedSingleRevision },
    expected: { notification: 'skipped', taskDefinition: 'riderapp:1', healthy: true, deployments: 0, registrations: 0 },
    prepare: () => ({
      input: manual({ cluster: CLUSTER, service: SERVICE, confirm: 'CONFIRM', requestedBy: 'oncall@riderapp.example' }),
      description: 'A manual start without a target (confirm: CONFIRM).',
    }),
  }),
  'rollback-also-fails': scenario({
    name: 'rollback-also-fails',
    title: 'The rollback fails too: a failure notification',
    story: [
      'riderapp:15 is deployed and fails, as in deployment-failed; but riderapp:14 cannot start either',
      '(its image now fails at start, e.g. a secret it reads was rotated). The rollback deployment fails,',
      'and the state machine must say so loudly: a failure notification is the expected ending.',
    ],
    world: {},
    expected: { notification: 'failure', taskDefinition: 'riderapp:14', healthy: false, deployments: 1 },
    prepare(world) {
      const event = deployAndFail(world, 'riderapp:15');
      const v14 = world.riderapp?.revisions[14].image;
      if (v14 !== undefined) world.model.markImage(v14, 'bad');
      return { input: event, description: `riderapp:15 deployed and failed; riderapp:14's image now fails to start too. ${eventLine(event)}` };
    },
  }),
  'regression-after-complete': scenario({
    name: 'regression-after-complete',
    title: "A version that turns bad after its deployment completed is caught from its own tasks",
    story: [
      'riderapp:15 deploys fine (COMPLETED: the circuit breaker stops watching), then its health check starts',
      'failing; ECS stops each task that fails its ELB health checks. The task-stop detector counts the stops of',
      'riderapp:15 and, at the 2nd, starts the rollback to riderapp:14, before the UnHealthyHostCount alarm fires.',
    ],
    world: { riderapp: { v15Behaviour: 'regression' } },
    detector: {},
    expected: { notification: 'success', taskDefinition: 'riderapp:14', healthy: true, deployments: 1 },
    prepare(world) {
      deployAndComplete(world, 'riderapp:15');
      return { input: undefined, detect: true, description: 'riderapp:15 deployed and COMPLETED; its tasks start failing their health checks, ECS stops them.' };
    },
    extraChecks: (world, outcome) => {
      const unmet: string[] = [];
      if (outcome.run.result.output?.request?.trigger.kind !== 'task-stops') unmet.push('the execution was not started by the task-stop detector');
      const call = firstRollbackCallAt(world);
      const alarm = firstAlarmAt(world);
      if (call === undefined) unmet.push('no rollback call was made');
      else if (alarm !== undefined && alarm <= call) unmet.push(`the alarm fired ${(call - alarm) / 1000} s before the rollback call`);
      return unmet;
    },
  }),
  'crash-loop-small-service': scenario({
    name: 'crash-loop-small-service',
    title: "A crash-looping version of a 2-task service is rolled back ahead of the circuit breaker",
    story: [
      'riderapp-service runs 2 tasks of riderapp:14. riderapp:15 is deployed; its essential container exits',
      "with code 1. ECS's circuit breaker needs 3 failed tasks (its floor); the detector acts on the 2nd and,",
      'the deployment still IN_PROGRESS, lets ECS roll it back (StopServiceDeployment, ROLLBACK).',
    ],
    world: { riderapp: { v15Behaviour: 'bad', desiredCount: 2 } },
    detector: {},
    expected: { notification: 'success', taskDefinition: 'riderapp:14', healthy: true, deployments: 0, nativeRollbacks: 1 },
    prepare(world) {
      world.model.deploy(CLUSTER, SERVICE, 'riderapp:15');
      return { input: undefined, detect: true, description: 'riderapp:15 deployed to a 2-task service; its essential container exits with code 1.' };
    },
    extraChecks: (world, outcome) => {
      const unmet: string[] = [];
      const trigger = outcome.run.result.output?.request?.trigger;
      if (trigger?.kind !== 'task-stops') unmet.push('the execution was not started by the task-stop detector');
      else if (trigger.taskStops?.stops.length !== trigger.taskStops?.threshold) unmet.push(`the rollback started on ${trigger.taskStops?.stops.length} stops, not the K-th`);
      const call = firstRollbackCallAt(world);
      const failed = world.events.find(isDeploymentFailed);
      if (failed !== undefined && (call === undefined || Date.parse(failed.time) <= call)) unmet.push("ECS's circuit breaker failed the deployment first");
      return unmet;
    },
  }),
  'dependency-outage': scenario({
    name: 'dependency-outage',
    title: 'A dependency outage after completion: notify-only says what would happen, and that a rollback may not help',
    story: [
      'riderapp:15 deploys fine, then its database goes down: its tasks fail their health checks and ECS stops them,',
      'exactly as for a bad version. The detector runs notify-only (taskStopDetector.notifyOnly): a notification',
      'says what it would have done, and that a rollback may not help, since every stop was a failed health check.',
    ],
    world: { riderapp: { v15Behaviour: 'regression' } },
    detector: { notifyOnly: true },
    expected: { notification: 'dry-run', taskDefinition: 'riderapp:15', deployments: 0, registrations: 0 },
    prepare(world) {
      deployAndComplete(world, 'riderapp:15');
      const v14 = world.riderapp?.revisions[14].image;
      if (v14 !== undefined) world.model.markImage(v14, 'regression');
      return { input: undefined, detect: true, description: 'riderapp:15 COMPLETED; then the database goes down and every version fails its health checks.' };
    },
    extraChecks: (_world, outcome) => {
      const message = outcome.run.notifications[0]?.message ?? '';
      return [
        ...(message.includes('A rollback may not help') ? [] : ['the notification does not say that a rollback may not help']),
        ...(message.includes('Notify-only') ? [] : ['the notification does not say it is notify-only']),
      ];
    },
  }),
};

/** Whether a string names a scenario. */
export function isScenarioName(name: string): name is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(name);
}
