/**
 * Normalises what started an execution (an ECS deployment failure event, a CloudWatch alarm
 * event, the task-stop detector's evidence, or a manual start) into a Trigger and the configured service it concerns. Pure: the
 * same input and configuration give the same answer. Bad input is a ValidationError naming the
 * field; nothing is changed because of it.
 */
import * as z from '../shared/zod';
import { ValidationError } from '../shared/errors';
import { excerpt } from '../shared/excerpt';
import { TASK_STOPS_DETAIL_TYPE, TASK_STOPS_SOURCE } from './task-stops';
import type { ExplicitTarget, RollbackType, ServiceConfig, Trigger } from '../shared/types';

/** The EventBridge detail-type of ECS deployment state changes. */
export const ECS_DEPLOYMENT_DETAIL_TYPE = 'ECS Deployment State Change';
/** The EventBridge detail-type of CloudWatch alarm state changes. */
export const ALARM_DETAIL_TYPE = 'CloudWatch Alarm State Change';
/** The phrase a manual start must carry in `confirm` unless it is a dry run. */
export const CONFIRM_PHRASE = 'CONFIRM';

/** What the normaliser needs besides the input. */
export interface TriggerContext {
  /** The execution's id (ARN): the identity of a manual start. */
  readonly executionId: string;
  readonly executionStartTime: string;
  readonly services: readonly ServiceConfig[];
  readonly projectName: string;
  /** The function's region (env AWS_REGION), used when the input does not say. */
  readonly defaultRegion: string;
}

/** The normalised trigger and the service it concerns. */
export interface ParsedTrigger {
  readonly trigger: Trigger;
  readonly region: string;
  readonly account?: string;
  readonly serviceConfig: ServiceConfig;
  readonly target?: ExplicitTarget;
  readonly dryRun: boolean;
  /** A self-test dry run (`ecs-rollback selftest`): not published, not counted. */
  readonly selftest?: boolean;
  readonly reason?: string;
  readonly rollbackType: RollbackType;
}

const show = (value: unknown): string => excerpt(value);

const expected =
  (what: string) =>
  (issue: { input?: unknown }): string =>
    issue.input === undefined ? `required (expected ${what})` : `expected ${what}, got ${show(issue.input)}`;

const text = (what = 'a non-empty string') =>
  z.string({ error: expected(what) }).check(z.trim(), z.minLength(1, { error: `expected ${what}` }));

/**
 * The EventBridge envelope, as @aws-lambda-powertools/parser's EventBridgeSchema defines it
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html).
 */
const eventBridgeShape = {
  version: z.string(),
  id: z.string(),
  source: z.string(),
  account: z.string(),
  time: z.iso.datetime(),
  region: z.string(),
  resources: z.array(z.string()),
  'detail-type': z.string(),
  detail: z.unknown(),
  'replay-name': z.optional(z.string()),
};

const EcsDeploymentFailedEvent = z.object({
  ...eventBridgeShape,
  source: z.literal('aws.ecs', { error: expected('aws.ecs') }),
  'detail-type': z.literal(ECS_DEPLOYMENT_DETAIL_TYPE),
  detail: z.object(
    {
      eventType: z.optional(z.string()),
      eventName: z.literal('SERVICE_DEPLOYMENT_FAILED', { error: expected('SERVICE_DEPLOYMENT_FAILED') }),
      deploymentId: z.optional(text('an ECS deployment id')),
      updatedAt: z.optional(z.string()),
      reason: z.optional(z.string()),
    },
    { error: expected('an object') },
  ),
});

const alarmTimestamp = text('an alarm state timestamp').check(
  z.refine((value) => !Number.isNaN(Date.parse(value)), {
    error: (issue) => `expected a timestamp, got ${show(issue.input)}`,
  }),
);

const AlarmStateChangeEvent = z.object({
  ...eventBridgeShape,
  source: z.literal('aws.cloudwatch', { error: expected('aws.cloudwatch') }),
  'detail-type': z.literal(ALARM_DETAIL_TYPE),
  detail: z.object(
    {
      alarmName: text('an alarm name'),
      state: z.object(
        {
          value: z.literal('ALARM', { error: expected('ALARM') }),
          reason: z.optional(z.string()),
          timestamp: alarmTimestamp,
        },
        { error: expected('an object') },
      ),
    },
    { error: expected('an object') },
  ),
});

const TaskStopsDetectedEvent = z.object({
  ...eventBridgeShape,
  source: z.literal(TASK_STOPS_SOURCE, { error: expected(TASK_STOPS_SOURCE) }),
  'detail-type': z.literal(TASK_STOPS_DETAIL_TYPE),
  detail: z.object(
    {
      cluster: text('a cluster name'),
      service: text('a service name'),
      deploymentId: text('an ECS deployment id'),
      taskDefinitionArn: text('a task definition ARN'),
      deploymentStartedAt: text('a timestamp'),
      rolloutState: z.optional(z.string()),
      threshold: z.int({ error: expected('a whole number') }).check(z.minimum(1, { error: 'expected at least 1' })),
      windowMinutes: z.int({ error: expected('a whole number') }).check(z.minimum(1, { error: 'expected at least 1' })),
      notifyOnly: z.boolean({ error: expected('true or false') }),
      stops: z
        .array(
          z.object({
            taskId: text('a task id'),
            stopCode: z.string(),
            stoppedReason: z.string(),
            exitCode: z.optional(z.int()),
            cause: z.enum(['elb-health-check', 'container-health-check', 'essential-container-exited', 'failed-to-start'], {
              error: expected('elb-health-check, container-health-check, essential-container-exited or failed-to-start'),
            }),
            stoppedAt: text('a timestamp'),
          }),
          { error: expected('an array of stopped tasks') },
        )
        .check(z.minLength(1, { error: 'expected at least one stopped task' })),
    },
    { error: expected('an object') },
  ),
});

const booleanish = z.union(
  [
    z.boolean(),
    z.pipe(
      z.enum(['true', 'false']),
      z.transform((v) => v === 'true'),
    ),
  ],
  { error: expected('true or false') },
);

const TASK_DEFINITION = /^(arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\/)?[A-Za-z0-9_-]{1,255}:\d+$/;
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const IMAGE_DIGEST = /^sha256:[a-f0-9]{64}$/;
const COMMIT = /^[0-9a-fA-F]{7,40}$/;

const format = (pattern: RegExp, what: string) =>
  text(what).check(z.refine((value) => pattern.test(value), { error: (issue) => `expected ${what}, got ${show(issue.input)}` }));

/** Longest `reason` of a manual start, in characters. */
export const REASON_MAX_CHARACTERS = 1000;
/** Longest `requestedBy` of a manual start, in characters. */
export const REQUESTED_BY_MAX_CHARACTERS = 200;

const boundedText = (max: number) =>
  z.string({ error: expected('a string') }).check(
    z.maxLength(max, {
      error: (issue) => `expected at most ${max} characters, got ${typeof issue.input === 'string' ? issue.input.length : '?'}`,
    }),
  );

const ManualStart = z.strictObject({
  cluster: z.optional(text('a cluster name')),
  service: z.optional(text('a service name')),
  project: z.optional(text('a project name')),
  target: z.optional(
    z.strictObject(
      {
        taskDefinition: z.optional(format(TASK_DEFINITION, 'family:revision or a task definition ARN')),
        imageTag: z.optional(format(IMAGE_TAG, 'an image tag')),
        imageDigest: z.optional(format(IMAGE_DIGEST, 'sha256:<64 hex digits>')),
        commit: z.optional(format(COMMIT, 'a commit SHA (7-40 hex digits)')),
      },
      { error: expected('an object with one of taskDefinition, imageTag, imageDigest, commit') },
    ),
  ),
  dryRun: z.optional(booleanish),
  selftest: z.optional(z.boolean({ error: expected('true or false') })),
  confirm: z.optional(z.string({ error: expected('"CONFIRM"') })),
  reason: z.optional(boundedText(REASON_MAX_CHARACTERS)),
  requestedBy: z.optional(boundedText(REQUESTED_BY_MAX_CHARACTERS)),
  rollbackType: z.optional(
    z.enum(['application', 'infrastructure', 'database', 'full'], {
      error: expected('application, infrastructure, database or full'),
    }),
  ),
});

const MANUAL_FIELDS = 'cluster, service, project, target, dryRun, selftest, confirm, reason, requestedBy, rollbackType';
const TARGET_FIELDS = 'taskDefinition, imageTag, imageDigest, commit';

type Issue = { readonly message: string; readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> };

function fieldOf(issue: Issue): string {
  let field = '';
  for (const segment of issue.path ?? []) {
    const key = typeof segment === 'object' ? segment.key : segment;
    field += typeof key === 'number' ? `[${key}]` : `${field === '' ? '' : '.'}${String(key)}`;
  }
  return field === '' ? 'input' : field;
}

/** Validates input against a schema; the first problem becomes a ValidationError. */
function parseOrThrow<T extends z.ZodMiniType>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data as z.output<T>;
  const issues = result.error.issues as ReadonlyArray<Issue & { code?: string; keys?: string[] }>;
  const first = issues[0];
  if (first === undefined) throw new ValidationError('input', excerpt(result.error.message));
  if (first.code === 'unrecognized_keys' && first.keys?.[0] !== undefined) {
    const prefix = fieldOf(first);
    const key = show(first.keys[0]);
    if (prefix === 'input') throw new ValidationError(key, `unknown field (a manual start accepts ${MANUAL_FIELDS})`);
    throw new ValidationError(`${prefix}.${key}`, `unknown field (${prefix} accepts ${TARGET_FIELDS})`);
  }
  const message = /received undefined$/.test(first.message) ? 'required' : first.message;
  throw new ValidationError(fieldOf(first), message);
}

/** How many configured services an error lists before "and N more". */
const LISTED_SERVICES = 5;

const configuredList = (services: readonly ServiceConfig[]): string => {
  const names = services.slice(0, LISTED_SERVICES).map((s) => `${s.cluster}/${s.service}`);
  const more = services.length - names.length;
  return more > 0 ? `${names.join(', ')} and ${more} more` : names.join(', ');
};

/** The configured service named by cluster (when known) and service; a ValidationError otherwise. */
export function findServiceConfig(
  services: readonly ServiceConfig[],
  cluster: string | undefined,
  service: string,
  field = 'service',
): ServiceConfig {
  const byName = services.filter((s) => s.service === service);
  const match = cluster === undefined ? byName : byName.filter((s) => s.cluster === cluster);
  if (match.length === 1 && match[0] !== undefined) return match[0];
  if (match.length > 1) {
    throw new ValidationError('cluster', `${show(service)} is configured in several clusters (${configuredList(match)}); name the cluster`);
  }
  const name = cluster !== undefined && byName.length > 0 ? `${cluster}/${service}` : service;
  throw new ValidationError(field, `${show(name)} is not configured for rollback; configured: ${configuredList(services)}`);
}

const SERVICE_ARN = /^arn:aws[a-z-]*:ecs:([a-z0-9-]+):(\d{12}):service\/(.+)$/;

/** Cluster (when the ARN has one) and service name from an ECS service ARN, or undefined. */
export function parseServiceArn(arn: string): { cluster?: string; service: string } | undefined {
  const match = SERVICE_ARN.exec(arn);
  const parts = match?.[3]?.split('/') ?? [];
  if (parts.length === 2 && parts[0] && parts[1]) return { cluster: parts[0], service: parts[1] };
  if (parts.length === 1 && parts[0]) return { service: parts[0] };
  return undefined;
}

/** Region and account from an ARN (e.g. the execution's), or undefined. */
export function regionAndAccountOf(arn: string): { region: string; account: string } | undefined {
  const [prefix, partition, , region, account] = arn.split(':');
  if (prefix !== 'arn' || partition === undefined || !region || !account) return undefined;
  return { region, account };
}

const iso = (time: string): string => new Date(Date.parse(time)).toISOString();

/** A start by an EventBridge event: the event's region and account, never a dry run, an application rollback. */
function fromEventBridge(
  trigger: Trigger,
  event: { readonly region: string; readonly account: string },
  serviceConfig: ServiceConfig,
): ParsedTrigger {
  return {
    trigger,
    region: event.region,
    account: event.account,
    serviceConfig,
    dryRun: false,
    rollbackType: 'application',
  };
}

function parseEcsDeploymentFailed(input: unknown, ctx: TriggerContext): ParsedTrigger {
  const event = parseOrThrow(EcsDeploymentFailedEvent, input);
  const arnIndex = event.resources.findIndex((r) => parseServiceArn(r) !== undefined);
  const arn = arnIndex >= 0 ? parseServiceArn(event.resources[arnIndex] as string) : undefined;
  if (arn === undefined) {
    throw new ValidationError(
      'resources',
      `expected an ECS service ARN (arn:aws:ecs:<region>:<account>:service/<cluster>/<service>), got ${show(event.resources)}`,
    );
  }
  const serviceConfig = findServiceConfig(ctx.services, arn.cluster, arn.service);
  const { deploymentId, reason, updatedAt } = event.detail;
  const time = updatedAt !== undefined && !Number.isNaN(Date.parse(updatedAt)) ? iso(updatedAt) : iso(event.time);
  const name = `${serviceConfig.cluster}/${serviceConfig.service}`;
  const trigger: Trigger = {
    kind: 'deployment-failed',
    id: deploymentId !== undefined ? `deployment:${deploymentId}` : `event:${event.id}`,
    time,
    summary: `ECS deployment ${deploymentId ?? '(id not given)'} of ${name} failed${reason ? `: ${reason}` : '.'}`,
    ...(deploymentId !== undefined ? { deploymentId } : {}),
    ...(reason !== undefined ? { reason } : {}),
  };
  return fromEventBridge(trigger, event, serviceConfig);
}

function parseAlarm(input: unknown, ctx: TriggerContext): ParsedTrigger {
  const event = parseOrThrow(AlarmStateChangeEvent, input);
  const { alarmName, state } = event.detail;
  const linked = ctx.services.filter((s) => s.alarmNames.includes(alarmName));
  if (linked.length !== 1 || linked[0] === undefined) {
    throw new ValidationError(
      'detail.alarmName',
      linked.length === 0
        ? `${show(alarmName)} is not linked to any configured service; configured: ${configuredList(ctx.services)}`
        : `${show(alarmName)} is linked to several services (${configuredList(linked)}); link it to one`,
    );
  }
  const serviceConfig = linked[0];
  const time = iso(state.timestamp);
  const trigger: Trigger = {
    kind: 'alarm',
    id: `alarm:${alarmName}@${state.timestamp}`,
    time,
    summary:
      `Alarm ${alarmName} for ${serviceConfig.cluster}/${serviceConfig.service} went into ALARM at ${time}` +
      (state.reason ? `: ${state.reason}` : '.'),
    alarmName,
    ...(state.reason !== undefined ? { reason: state.reason } : {}),
  };
  return fromEventBridge(trigger, event, serviceConfig);
}

const CAUSE_TEXT = {
  'elb-health-check': 'failed ELB health checks',
  'container-health-check': 'failed container health checks',
  'essential-container-exited': 'essential container exited',
  'failed-to-start': 'failed to start',
} as const;

/** One line per stop: "task 1a2b… (failed ELB health checks: Task failed ELB health checks in …)". */
export function describeStops(stops: NonNullable<Trigger['taskStops']>['stops']): string {
  return stops
    .map((s) => `task ${s.taskId} (${CAUSE_TEXT[s.cause]}${s.exitCode !== undefined ? `, exit code ${s.exitCode}` : ''}: ${s.stoppedReason})`)
    .join('; ');
}

function parseTaskStops(input: unknown, ctx: TriggerContext): ParsedTrigger {
  const event = parseOrThrow(TaskStopsDetectedEvent, input);
  const { detail } = event;
  const serviceConfig = findServiceConfig(ctx.services, detail.cluster, detail.service, 'detail.service');
  const revision = detail.taskDefinitionArn.split('/').pop() ?? detail.taskDefinitionArn;
  const name = `${serviceConfig.cluster}/${serviceConfig.service}`;
  const taskStops = {
    deploymentId: detail.deploymentId,
    taskDefinitionArn: detail.taskDefinitionArn,
    deploymentStartedAt: iso(detail.deploymentStartedAt),
    ...(detail.rolloutState !== undefined ? { rolloutState: detail.rolloutState } : {}),
    threshold: detail.threshold,
    windowMinutes: detail.windowMinutes,
    notifyOnly: detail.notifyOnly,
    stops: detail.stops.map((s) => ({ ...s, stoppedAt: iso(s.stoppedAt) })),
  };
  const trigger: Trigger = {
    kind: 'task-stops',
    id: `task-stops:${detail.deploymentId}`,
    time: iso(event.time),
    summary:
      `${detail.stops.length} tasks of ${revision} (deployment ${detail.deploymentId} of ${name}) stopped because the version looks bad` +
      ` within ${detail.windowMinutes} min of the deployment: ${describeStops(detail.stops)}.`,
    deploymentId: detail.deploymentId,
    taskStops,
  };
  return { ...fromEventBridge(trigger, event, serviceConfig), dryRun: detail.notifyOnly };
}

/** One sentence naming an explicit target. */
export function describeTarget(target: ExplicitTarget | undefined): string {
  if (target?.taskDefinition !== undefined) return `task definition ${target.taskDefinition}`;
  if (target?.imageTag !== undefined) return `image tag ${target.imageTag}`;
  if (target?.imageDigest !== undefined) return `image ${target.imageDigest}`;
  if (target?.commit !== undefined) return `commit ${target.commit}`;
  return 'the last known-good version';
}

function manualServiceConfig(
  start: z.output<typeof ManualStart>,
  ctx: TriggerContext,
): ServiceConfig {
  if (start.service !== undefined) return findServiceConfig(ctx.services, start.cluster, start.service);
  if (start.cluster !== undefined) throw new ValidationError('service', 'required with cluster');
  if (start.project === undefined) throw new ValidationError('service', 'give cluster and service, or project');
  if (start.project !== ctx.projectName) {
    throw new ValidationError('project', `expected ${ctx.projectName}, got ${show(start.project)}`);
  }
  const only = ctx.services.length === 1 ? ctx.services[0] : undefined;
  const byConvention = ctx.services.find(
    (s) => s.cluster === `${ctx.projectName}-cluster` && s.service === `${ctx.projectName}-service`,
  );
  const chosen = only ?? byConvention;
  if (chosen === undefined) {
    throw new ValidationError(
      'project',
      `${ctx.projectName} has several services (${configuredList(ctx.services)}); give cluster and service`,
    );
  }
  return chosen;
}

/** What a manual start asks for, by rollback type: "rollback of <service> to <target>" or the advice it wants. */
function manualWhat(rollbackType: RollbackType, name: string, target: ExplicitTarget | undefined): string {
  if (rollbackType === 'database' || rollbackType === 'infrastructure') {
    return `${rollbackType} rollback advice for ${name} (the service is not changed)`;
  }
  const rollback = `rollback of ${name} to ${describeTarget(target)}`;
  return rollbackType === 'full' ? `full ${rollback} (with database and infrastructure advice)` : rollback;
}

function parseManual(input: unknown, ctx: TriggerContext): ParsedTrigger {
  const start = parseOrThrow(ManualStart, input);
  const dryRun = start.dryRun ?? false;
  const serviceConfig = manualServiceConfig(start, ctx);
  if (start.target !== undefined) {
    const given = Object.values(start.target).filter((v) => v !== undefined);
    if (given.length !== 1) {
      throw new ValidationError('target', `give exactly one of ${TARGET_FIELDS}`);
    }
  }
  if (start.selftest === true && !dryRun) {
    throw new ValidationError('selftest', 'a self-test is a dry run: give dryRun: true with selftest: true');
  }
  if (!dryRun && start.confirm !== CONFIRM_PHRASE) {
    throw new ValidationError('confirm', `manual rollbacks need "confirm": "${CONFIRM_PHRASE}" unless dryRun is true`);
  }
  const where = regionAndAccountOf(ctx.executionId);
  const requestedBy = start.requestedBy?.trim() || undefined;
  const reason = start.reason?.trim() || undefined;
  const name = `${serviceConfig.cluster}/${serviceConfig.service}`;
  const rollbackType = start.rollbackType ?? 'application';
  const trigger: Trigger = {
    kind: 'manual',
    id: ctx.executionId,
    time: iso(ctx.executionStartTime),
    summary:
      `${dryRun ? 'Dry run of a manual' : 'Manual'} ${manualWhat(rollbackType, name, start.target)}` +
      ` requested by ${requestedBy ?? 'an unnamed person'}${reason ? `: ${reason}` : '.'}`,
    ...(requestedBy !== undefined ? { requestedBy } : {}),
  };
  return {
    trigger,
    region: where?.region ?? ctx.defaultRegion,
    ...(where !== undefined ? { account: where.account } : {}),
    serviceConfig,
    ...(start.target !== undefined ? { target: start.target } : {}),
    dryRun,
    ...(start.selftest === true ? { selftest: true } : {}),
    ...(reason !== undefined ? { reason } : {}),
    rollbackType,
  };
}

const isEventBridgeShaped = (input: object): boolean =>
  'detail-type' in input || ('source' in input && 'detail' in input);

/** Normalises an execution's input; throws ValidationError naming the field for anything else. */
export function parseTrigger(input: unknown, ctx: TriggerContext): ParsedTrigger {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new ValidationError('input', `expected an EventBridge event or a manual start object, got ${show(input)}`);
  }
  if (!isEventBridgeShaped(input)) return parseManual(input, ctx);
  const detailType = (input as Record<string, unknown>)['detail-type'];
  if (detailType === ECS_DEPLOYMENT_DETAIL_TYPE) return parseEcsDeploymentFailed(input, ctx);
  if (detailType === ALARM_DETAIL_TYPE) return parseAlarm(input, ctx);
  if (detailType === TASK_STOPS_DETAIL_TYPE) return parseTaskStops(input, ctx);
  throw new ValidationError(
    'detail-type',
    `expected ${ECS_DEPLOYMENT_DETAIL_TYPE}, ${ALARM_DETAIL_TYPE} or ${TASK_STOPS_DETAIL_TYPE}, got ${show(detailType)}`,
  );
}
