/**
 * The deployment's configuration: read from CDK context (cdk.json, `-c key=value`) or a JSON file
 * named by `-c config=path`, validated at synth time. Every error names the field and the bad value.
 */
import { backoffSeconds } from '../lambdas/core/health';
import { healthUrlProblem, redactUrl } from '../lambdas/core/url-safety';
import { excerpt } from '../lambdas/shared/excerpt';
import { executionTimeout } from './execution-budget';

/** How the UnHealthyHostCount alarm treats periods without data (CloudWatch TreatMissingData). */
export type TreatMissingData = 'notBreaching' | 'breaching' | 'ignore' | 'missing';

/** The HTTP/target-group health probe after a rollback (ProbeHealth). */
export interface ProbeSettings {
  /** How many times to probe before giving up. @default 5 */
  readonly attempts: number;
  /** Wait before the first retry; later waits double, up to 60 s (lambdas/core/health.ts backoffSeconds). @default 5 */
  readonly intervalSeconds: number;
  /** Timeout of one HTTP request. @default 5 */
  readonly timeoutSeconds: number;
}

/** The CloudWatch alarm created for each configured target group. */
export interface UnhealthyHostAlarmSettings {
  /** Alarm when UnHealthyHostCount (Maximum) is at least this. @default 1 */
  readonly threshold: number;
  /** @default 2 */
  readonly evaluationPeriods: number;
  /** @default evaluationPeriods */
  readonly datapointsToAlarm?: number;
  /** A multiple of 60 (ALB metrics are published every minute). @default 60 */
  readonly periodSeconds: number;
  /** @default notBreaching */
  readonly treatMissingData: TreatMissingData;
}

/** One ECS service the deployment watches and rolls back. */
export interface ServiceSettings {
  /** @default `<project>-cluster` */
  readonly cluster: string;
  /** @default `<project>-service` */
  readonly service: string;
  /** ECR repository name (not URI) the service's images come from. @default `<project>` */
  readonly ecrRepository: string;
  /** Containers whose image is rolled back. @default those whose image comes from ecrRepository */
  readonly containerNames?: readonly string[];
  /** Target group full name `targetgroup/<name>/<id>` (the alarm's TargetGroup dimension). */
  readonly targetGroup?: string;
  /** The target group's ARN when it was given as an ARN. */
  readonly targetGroupArn?: string;
  /** Load balancer full name `app/<name>/<id>` (the alarm's LoadBalancer dimension). */
  readonly loadBalancer?: string;
  /** An HTTP(S) URL that answers 2xx when the service is healthy. */
  readonly healthCheckUrl?: string;
  /** Extra CloudWatch alarms (by name) whose ALARM state rolls this service back. @default [] */
  readonly alarmNames: readonly string[];
  /** Task roles RegisterTaskDefinition may pass. @default [`arn:<partition>:iam::<account>:role/<project>-*`] */
  readonly taskRoleArns?: readonly string[];
  /** Execution roles RegisterTaskDefinition may pass. @default [`arn:<partition>:iam::<account>:role/<project>-*`] */
  readonly executionRoleArns?: readonly string[];
}

/** The whole, validated configuration. */
export interface AppConfig {
  readonly project: string;
  readonly region?: string;
  readonly account?: string;
  readonly services: readonly ServiceSettings[];
  /** Email addresses subscribed to a new, encrypted topic. @default [] */
  readonly notificationEmails: readonly string[];
  /** An existing SNS topic to publish to instead of creating one. */
  readonly topicArn?: string;
  /** The KMS key of that existing topic, when it is encrypted with a customer managed key. */
  readonly topicKmsKeyArn?: string;
  /** Email addresses subscribed to the operations topic the stack's own alarms go to. @default notificationEmails */
  readonly operationsEmails: readonly string[];
  /** An existing SNS topic for the stack's own alarms instead of a new one. @default - a new encrypted topic */
  readonly operationsTopicArn?: string;
  /** @default 15 */
  readonly pollIntervalSeconds: number;
  /** @default 15 */
  readonly stabilizationTimeoutMinutes: number;
  /** Alarms roll back only this long after a deployment; later they only notify. @default 60 */
  readonly alarmRollbackWindowMinutes: number;
  /** After a rollback, further triggers for the service only notify for this long. @default 30 */
  readonly cooldownMinutes: number;
  /** Lifetime of the per-service lock (a safety net: ReleaseLock frees it). @default 2 h, or the state machine's TimeoutSeconds + 30 min if longer (lib/execution-budget.ts) */
  readonly lockTtlSeconds: number;
  readonly probe: ProbeSettings;
  readonly unhealthyHostAlarm: UnhealthyHostAlarmSettings;
  /** Retention of every log group (a CloudWatch Logs retention value). @default 30 */
  readonly logRetentionDays: number;
}

/** A configuration error; the message names the field and the bad value. */
export class ConfigError extends Error {
  public override name = 'ConfigError' as const;
  public constructor(
    public readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** Reads one context value (`app.node.tryGetContext`), or undefined. */
export type ContextGetter = (key: string) => unknown;

/** What loadConfig needs from outside besides the context (injectable for tests). */
export interface LoadOptions {
  /** Environment variables (CDK_DEFAULT_REGION / CDK_DEFAULT_ACCOUNT are read after the context). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Reads the file named by `-c config=path`. */
  readonly readFile?: (path: string) => string;
}

/** Default lock lifetime, as the functions' own default (lambdas/shared/config.ts). */
const DEFAULT_LOCK_TTL_SECONDS = 7200;
/** Lambda's own limit, and the ASL's TimeoutSeconds of the ProbeHealth task. */
export const MAX_PROBE_FUNCTION_SECONDS = 900;
/** Allowance per probe attempt for the ECS / ELBv2 calls next to the HTTP request. */
const PROBE_CALLS_SECONDS_PER_ATTEMPT = 5;
const PROBE_MARGIN_SECONDS = 30;

/** The tuning settings: keys of the configuration and props of EcsAutoRollback by the same names. */
export const SETTING_KEYS = [
  'pollIntervalSeconds',
  'stabilizationTimeoutMinutes',
  'alarmRollbackWindowMinutes',
  'cooldownMinutes',
  'lockTtlSeconds',
  'probe',
  'unhealthyHostAlarm',
  'logRetentionDays',
] as const;

/** Top-level settings, as context keys or keys of the config file. */
export const CONFIG_KEYS = [
  'project',
  'region',
  'account',
  'services',
  'notificationEmails',
  'topicArn',
  'topicKmsKeyArn',
  'operationsEmails',
  'operationsTopicArn',
  ...SETTING_KEYS,
] as const;

const SERVICE_KEYS = [
  'cluster',
  'service',
  'ecrRepository',
  'containerNames',
  'targetGroup',
  'loadBalancer',
  'healthCheckUrl',
  'alarmNames',
  'taskRoleArns',
  'executionRoleArns',
] as const;
const PROBE_KEYS = ['attempts', 'intervalSeconds', 'timeoutSeconds'] as const;
const ALARM_KEYS = ['threshold', 'evaluationPeriods', 'datapointsToAlarm', 'periodSeconds', 'treatMissingData'] as const;
const TREAT_MISSING_DATA: readonly TreatMissingData[] = ['notBreaching', 'breaching', 'ignore', 'missing'];
/** The retention values CloudWatch Logs accepts. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const PROJECT_PATTERN = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/;
const ECS_NAME_PATTERN = /^[A-Za-z0-9_-]{1,255}$/;
const ECR_REPOSITORY_PATTERN = /^(?=.{2,256}$)(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const ECR_URI_PATTERN = /^\d{12}\.dkr\.ecr\./;
const CONTAINER_NAME_PATTERN = /^[A-Za-z0-9_-]{1,255}$/;
const TARGET_GROUP_NAME_PATTERN = /^targetgroup\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{16}$/;
const TARGET_GROUP_ARN_PATTERN =
  /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:(targetgroup\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{16})$/;
const LOAD_BALANCER_NAME_PATTERN = /^app\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{16}$/;
const LOAD_BALANCER_ARN_PATTERN =
  /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:loadbalancer\/(app\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{16})$/;
const ALARM_NAME_PATTERN = /^\P{Cc}{1,255}$/u;
const ROLE_ARN_PATTERN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/*-]{1,512}$/;
const SNS_TOPIC_ARN_PATTERN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;
const KMS_KEY_ARN_PATTERN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;
const EMAIL_PATTERN = /^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/;
const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d$/;
const ACCOUNT_PATTERN = /^\d{12}$/;

/** Default names that follow from the project name (the seed pipeline's conventions). */
export function defaultNames(project: string): {
  cluster: string;
  service: string;
  ecrRepository: string;
  loadBalancerName: string;
} {
  return {
    cluster: `${project}-cluster`,
    service: `${project}-service`,
    ecrRepository: project,
    loadBalancerName: `${project}-alb`,
  };
}

/**
 * Worst-case duration of one ProbeHealth invocation: every attempt times out (plus its ECS/ELBv2
 * calls) and every retry waits its full backoff, plus a margin. The Lambda timeout is this.
 */
export function probeBudgetSeconds(probe: ProbeSettings): number {
  let waits = 0;
  for (let retry = 1; retry < probe.attempts; retry += 1) waits += backoffSeconds(retry, probe.intervalSeconds);
  return probe.attempts * (probe.timeoutSeconds + PROBE_CALLS_SECONDS_PER_ATTEMPT) + waits + PROBE_MARGIN_SECONDS;
}

/**
 * Name of the UnHealthyHostCount alarm created for one service: `<project>-unhealthy-hosts` for the
 * project's own `<project>-service`, else `<project>-<service>-unhealthy-hosts` (a `<project>-` prefix
 * and `-service` suffix of the service name dropped); the cluster is added when two services share a name.
 */
export function unhealthyHostAlarmName(project: string, service: ServiceSettings, all: readonly ServiceSettings[]): string {
  let short = service.service;
  if (short.startsWith(`${project}-`)) short = short.slice(project.length + 1);
  if (short.endsWith('-service')) short = short.slice(0, -'-service'.length);
  if (short === 'service' || short === project) short = '';
  const sameName = all.filter((other) => other.service === service.service).length > 1;
  const parts = [project, sameName ? service.cluster : '', short].filter((part) => part !== '');
  return `${parts.join('-')}-unhealthy-hosts`;
}

/** Loads and validates the configuration; throws ConfigError naming the first bad field. */
export function loadConfig(get: ContextGetter, options: LoadOptions = {}): AppConfig {
  const env = options.env ?? {};
  const raw = mergeSources(get, options.readFile);

  const project = parseProject(raw.project);
  const names = defaultNames(project);
  const services = parseServices(raw.services, names);
  const topicArn = optional(raw.topicArn, (v) => parsePattern('topicArn', v, SNS_TOPIC_ARN_PATTERN, 'an SNS topic ARN'));
  const notificationEmails = parseEmails(raw.notificationEmails);
  if (topicArn !== undefined && notificationEmails.length > 0) {
    throw new ConfigError(
      'notificationEmails',
      `give either notificationEmails (a new topic) or topicArn (an existing topic), not both; got ${show(raw.notificationEmails)}`,
    );
  }
  const topicKmsKeyArn = optional(raw.topicKmsKeyArn, (v) =>
    parsePattern('topicKmsKeyArn', v, KMS_KEY_ARN_PATTERN, 'a KMS key ARN'),
  );
  if (topicKmsKeyArn !== undefined && topicArn === undefined) {
    throw new ConfigError('topicKmsKeyArn', `only applies with topicArn, got ${show(raw.topicKmsKeyArn)}`);
  }
  const operationsTopicArn = optional(raw.operationsTopicArn, (v) =>
    parsePattern('operationsTopicArn', v, SNS_TOPIC_ARN_PATTERN, 'an SNS topic ARN'),
  );
  const operationsEmails =
    raw.operationsEmails === undefined ? notificationEmails : parseEmails(raw.operationsEmails, 'operationsEmails');
  if (operationsTopicArn !== undefined && raw.operationsEmails !== undefined && operationsEmails.length > 0) {
    throw new ConfigError(
      'operationsEmails',
      `give either operationsEmails (a new operations topic) or operationsTopicArn (an existing topic), not both; got ${show(raw.operationsEmails)}`,
    );
  }

  const settings = parseSettings(raw);

  const region = optional(raw.region ?? env.CDK_DEFAULT_REGION, (v) =>
    parsePattern('region', v, REGION_PATTERN, 'an AWS region such as us-east-1'),
  );
  const account = optional(raw.account ?? env.CDK_DEFAULT_ACCOUNT, (v) =>
    parsePattern('account', v, ACCOUNT_PATTERN, 'a 12-digit AWS account id'),
  );

  return {
    project,
    ...(region !== undefined && { region }),
    ...(account !== undefined && { account }),
    services,
    notificationEmails,
    ...(topicArn !== undefined && { topicArn }),
    ...(topicKmsKeyArn !== undefined && { topicKmsKeyArn }),
    operationsEmails: operationsTopicArn === undefined ? operationsEmails : [],
    ...(operationsTopicArn !== undefined && { operationsTopicArn }),
    pollIntervalSeconds: settings.pollIntervalSeconds,
    stabilizationTimeoutMinutes: settings.stabilizationTimeoutMinutes,
    alarmRollbackWindowMinutes: settings.alarmRollbackWindowMinutes,
    cooldownMinutes: settings.cooldownMinutes,
    lockTtlSeconds: settings.lockTtlSeconds,
    probe: settings.probe,
    unhealthyHostAlarm: settings.unhealthyHostAlarm,
    logRetentionDays: settings.logRetentionDays,
  };
}

/** The settings besides names and services: what the context reader and the construct's props share. */
export type Settings = Pick<
  AppConfig,
  | 'pollIntervalSeconds'
  | 'stabilizationTimeoutMinutes'
  | 'alarmRollbackWindowMinutes'
  | 'cooldownMinutes'
  | 'lockTtlSeconds'
  | 'probe'
  | 'unhealthyHostAlarm'
  | 'logRetentionDays'
>;

/** Validates the settings (context values or construct props, same field names) and fills in the defaults. */
export function parseSettings(raw: Readonly<Record<string, unknown>>): Settings {
  const pollIntervalSeconds = parseInteger('pollIntervalSeconds', raw.pollIntervalSeconds, 15, 1, 3600);
  const stabilizationTimeoutMinutes = parseInteger(
    'stabilizationTimeoutMinutes',
    raw.stabilizationTimeoutMinutes,
    15,
    1,
    24 * 60,
  );
  if (pollIntervalSeconds > stabilizationTimeoutMinutes * 60) {
    throw new ConfigError(
      'pollIntervalSeconds',
      `expected at most stabilizationTimeoutMinutes × 60 (${stabilizationTimeoutMinutes * 60}), got ${pollIntervalSeconds}`,
    );
  }
  const alarmRollbackWindowMinutes = parseInteger(
    'alarmRollbackWindowMinutes',
    raw.alarmRollbackWindowMinutes,
    60,
    1,
    7 * 24 * 60,
  );
  const cooldownMinutes = parseInteger('cooldownMinutes', raw.cooldownMinutes, 30, 1, 24 * 60);
  const probe = parseProbe(raw.probe);
  const unhealthyHostAlarm = parseAlarm(raw.unhealthyHostAlarm);
  const longestExecutionSeconds = executionTimeout({
    stabilizationTimeoutSeconds: stabilizationTimeoutMinutes * 60,
    pollIntervalSeconds,
    probeBudgetSeconds: probeBudgetSeconds(probe),
  }).timeoutSeconds;
  const lockTtlSeconds = parseInteger(
    'lockTtlSeconds',
    raw.lockTtlSeconds,
    Math.max(DEFAULT_LOCK_TTL_SECONDS, longestExecutionSeconds + 1800),
    longestExecutionSeconds,
    7 * 24 * 3600,
  );
  const logRetentionDays = parseInteger('logRetentionDays', raw.logRetentionDays, 30, 1, 3653);
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(logRetentionDays)) {
    throw new ConfigError(
      'logRetentionDays',
      `expected one of ${LOG_RETENTION_DAYS.join(', ')}, got ${show(raw.logRetentionDays)}`,
    );
  }

  return {
    pollIntervalSeconds,
    stabilizationTimeoutMinutes,
    alarmRollbackWindowMinutes,
    cooldownMinutes,
    lockTtlSeconds,
    probe,
    unhealthyHostAlarm,
    logRetentionDays,
  };
}

/** What {@link checkText} checks a value as. */
export type TextKind =
  | 'project'
  | 'cluster'
  | 'service'
  | 'ecrRepository'
  | 'containerNames'
  | 'healthCheckUrl'
  | 'alarmNames'
  | 'notificationEmails';

/**
 * Checks a construct prop as the configuration checks the same setting, when it is text: a value
 * that is a token at synth time (a string holding CDK's `${Token[...]}` marker, or a list element
 * that is one) is passed through unchecked.
 * Throws a ConfigError naming `field`.
 */
export function checkText<T extends string | readonly string[]>(field: string, value: T, kind: TextKind): T {
  const isToken = (text: unknown): boolean => typeof text === 'string' && text.includes('${Token[');
  if (Array.isArray(value)) {
    if (kind === 'containerNames' && value.length === 0) {
      throw new ConfigError(field, 'expected a non-empty array of container names, got []');
    }
    const what = LIST_ITEM[kind] as { pattern: RegExp; what: string };
    value.forEach((item, index) => {
      if (!isToken(item)) parsePattern(`${field}[${index}]`, item, what.pattern, what.what);
    });
    return value;
  }
  if (isToken(value)) return value;
  switch (kind) {
    case 'project':
      parseProject(value);
      break;
    case 'cluster':
      parsePattern(field, value, ECS_NAME_PATTERN, 'a cluster name');
      break;
    case 'service':
      parsePattern(field, value, ECS_NAME_PATTERN, 'a service name');
      break;
    case 'ecrRepository':
      parsePattern(field, value, ECR_REPOSITORY_PATTERN, 'an ECR repository name (lowercase, not a URI)');
      break;
    case 'healthCheckUrl':
      parseHealthCheckUrl(field, value);
      break;
    default:
      throw new Error(`checkText: ${kind} is a list`);
  }
  return value;
}

const LIST_ITEM: Record<string, { pattern: RegExp; what: string }> = {
  containerNames: { pattern: CONTAINER_NAME_PATTERN, what: 'a container name' },
  alarmNames: { pattern: ALARM_NAME_PATTERN, what: 'a CloudWatch alarm name' },
  notificationEmails: { pattern: EMAIL_PATTERN, what: 'an email address' },
};

type Raw = Record<string, unknown>;

function mergeSources(get: ContextGetter, readFile: LoadOptions['readFile']): Raw {
  const merged: Raw = {};
  const configPath = get('config');
  if (configPath !== undefined) {
    if (typeof configPath !== 'string' || configPath.trim() === '') {
      throw new ConfigError('config', `expected the path of a JSON file, got ${show(configPath)}`);
    }
    if (readFile === undefined) {
      throw new ConfigError('config', `cannot read ${show(configPath)}: no file reader given`);
    }
    let text: string;
    try {
      text = readFile(configPath);
    } catch (error) {
      throw new ConfigError('config', `cannot read ${show(configPath)}: ${(error as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new ConfigError('config', `${show(configPath)} is not valid JSON: ${(error as Error).message}`);
    }
    const file = asObject('config', parsed, `a JSON object in ${configPath}`);
    rejectUnknownKeys('', file, CONFIG_KEYS);
    Object.assign(merged, file);
  }
  for (const key of CONFIG_KEYS) {
    const value = get(key);
    if (value !== undefined) merged[key] = value;
  }
  return merged;
}

function parseProject(value: unknown): string {
  if (value === undefined || value === '') {
    throw new ConfigError('project', 'required: pass -c project=<name> (for example -c project=riderapp)');
  }
  return parsePattern(
    'project',
    value,
    PROJECT_PATTERN,
    'a lowercase name of 2-32 letters, digits and hyphens, starting with a letter',
  );
}

function parseServices(value: unknown, names: ReturnType<typeof defaultNames>): ServiceSettings[] {
  if (value === undefined) {
    return [{ cluster: names.cluster, service: names.service, ecrRepository: names.ecrRepository, alarmNames: [] }];
  }
  const list = asArray('services', parseJsonString('services', value), 'a non-empty array of services');
  if (list.length === 0) throw new ConfigError('services', 'expected a non-empty array of services, got []');
  const services = list.map((entry, index) => parseService(`services[${index}]`, entry, names));
  const seen = new Map<string, number>();
  services.forEach((service, index) => {
    const key = `${service.cluster}/${service.service}`;
    const first = seen.get(key);
    if (first !== undefined) {
      throw new ConfigError(`services[${index}]`, `duplicate of services[${first}] (${show(key)})`);
    }
    seen.set(key, index);
  });
  return services;
}

function parseService(field: string, value: unknown, names: ReturnType<typeof defaultNames>): ServiceSettings {
  const raw = asObject(field, value, 'a service object');
  rejectUnknownKeys(field, raw, SERVICE_KEYS);
  const cluster = parsePattern(`${field}.cluster`, raw.cluster ?? names.cluster, ECS_NAME_PATTERN, 'a cluster name');
  const service = parsePattern(`${field}.service`, raw.service ?? names.service, ECS_NAME_PATTERN, 'a service name');
  const ecrRepository = parsePattern(
    `${field}.ecrRepository`,
    raw.ecrRepository ?? names.ecrRepository,
    ECR_REPOSITORY_PATTERN,
    'an ECR repository name (lowercase, not a URI)',
  );
  if (ECR_URI_PATTERN.test(ecrRepository)) {
    throw new ConfigError(
      `${field}.ecrRepository`,
      `expected an ECR repository name (lowercase, not a URI), got ${show(raw.ecrRepository)}`,
    );
  }
  const containerNames = optional(raw.containerNames, (v) =>
    parseStringList(`${field}.containerNames`, v, CONTAINER_NAME_PATTERN, 'a container name', true),
  );
  const healthCheckUrl = optional(raw.healthCheckUrl, (v) => parseHealthCheckUrl(`${field}.healthCheckUrl`, v));
  const alarmNames =
    optional(raw.alarmNames, (v) =>
      parseStringList(`${field}.alarmNames`, v, ALARM_NAME_PATTERN, 'a CloudWatch alarm name', false),
    ) ?? [];
  const taskRoleArns = optional(raw.taskRoleArns, (v) =>
    parseStringList(`${field}.taskRoleArns`, v, ROLE_ARN_PATTERN, 'an IAM role ARN', true),
  );
  const executionRoleArns = optional(raw.executionRoleArns, (v) =>
    parseStringList(`${field}.executionRoleArns`, v, ROLE_ARN_PATTERN, 'an IAM role ARN', true),
  );

  let targetGroup: string | undefined;
  let targetGroupArn: string | undefined;
  if (raw.targetGroup !== undefined) {
    const text = asString(`${field}.targetGroup`, raw.targetGroup, 'a target group ARN or "targetgroup/<name>/<id>"');
    const arn = TARGET_GROUP_ARN_PATTERN.exec(text);
    if (arn) {
      targetGroupArn = text;
      targetGroup = arn[1] as string;
    } else if (TARGET_GROUP_NAME_PATTERN.test(text)) {
      targetGroup = text;
    } else {
      throw new ConfigError(
        `${field}.targetGroup`,
        `expected a target group ARN or "targetgroup/<name>/<16 hex digits>", got ${show(raw.targetGroup)}`,
      );
    }
  }
  let loadBalancer: string | undefined;
  if (raw.loadBalancer !== undefined) {
    const hint = `"app/${names.loadBalancerName}/<16 hex digits>" or an ALB ARN`;
    const text = asString(`${field}.loadBalancer`, raw.loadBalancer, hint);
    const arn = LOAD_BALANCER_ARN_PATTERN.exec(text);
    if (arn) loadBalancer = arn[1] as string;
    else if (LOAD_BALANCER_NAME_PATTERN.test(text)) loadBalancer = text;
    else throw new ConfigError(`${field}.loadBalancer`, `expected ${hint}, got ${show(raw.loadBalancer)}`);
  }
  if (targetGroup !== undefined && loadBalancer === undefined) {
    throw new ConfigError(
      `${field}.loadBalancer`,
      `required with targetGroup (the alarm's LoadBalancer dimension), expected "app/${names.loadBalancerName}/<id>" or an ALB ARN, got undefined`,
    );
  }
  if (loadBalancer !== undefined && targetGroup === undefined) {
    throw new ConfigError(
      `${field}.targetGroup`,
      'required with loadBalancer (the alarm watches a target group), expected "targetgroup/<name>/<id>" or a target group ARN, got undefined',
    );
  }

  return {
    cluster,
    service,
    ecrRepository,
    ...(containerNames !== undefined && { containerNames }),
    ...(targetGroup !== undefined && { targetGroup }),
    ...(targetGroupArn !== undefined && { targetGroupArn }),
    ...(loadBalancer !== undefined && { loadBalancer }),
    ...(healthCheckUrl !== undefined && { healthCheckUrl }),
    alarmNames,
    ...(taskRoleArns !== undefined && { taskRoleArns }),
    ...(executionRoleArns !== undefined && { executionRoleArns }),
  };
}

function parseProbe(value: unknown): ProbeSettings {
  const raw = value === undefined ? {} : asObject('probe', parseJsonString('probe', value), 'a probe object');
  rejectUnknownKeys('probe', raw, PROBE_KEYS);
  const probe = {
    attempts: parseInteger('probe.attempts', raw.attempts, 5, 1, 50),
    intervalSeconds: parseInteger('probe.intervalSeconds', raw.intervalSeconds, 5, 1, 60),
    timeoutSeconds: parseInteger('probe.timeoutSeconds', raw.timeoutSeconds, 5, 1, 60),
  };
  const budget = probeBudgetSeconds(probe);
  if (budget > MAX_PROBE_FUNCTION_SECONDS) {
    throw new ConfigError(
      'probe',
      `every attempt timing out plus every backoff must fit in one Lambda invocation (${MAX_PROBE_FUNCTION_SECONDS} s), got ${budget} s for ${show(probe)}`,
    );
  }
  return probe;
}

function parseAlarm(value: unknown): UnhealthyHostAlarmSettings {
  const field = 'unhealthyHostAlarm';
  const raw = value === undefined ? {} : asObject(field, parseJsonString(field, value), 'an alarm settings object');
  rejectUnknownKeys(field, raw, ALARM_KEYS);
  const threshold = parseNumber(`${field}.threshold`, raw.threshold, 1, 1, 10_000);
  const evaluationPeriods = parseInteger(`${field}.evaluationPeriods`, raw.evaluationPeriods, 2, 1, 100);
  const datapointsToAlarm = optional(raw.datapointsToAlarm, (v) =>
    parseInteger(`${field}.datapointsToAlarm`, v, 1, 1, evaluationPeriods),
  );
  const periodSeconds = parseInteger(`${field}.periodSeconds`, raw.periodSeconds, 60, 60, 86_400);
  if (periodSeconds % 60 !== 0) {
    throw new ConfigError(`${field}.periodSeconds`, `expected a multiple of 60, got ${show(raw.periodSeconds)}`);
  }
  if (evaluationPeriods * periodSeconds > 86_400) {
    throw new ConfigError(
      `${field}.evaluationPeriods`,
      `evaluationPeriods × periodSeconds must be at most one day (86400), got ${evaluationPeriods * periodSeconds}`,
    );
  }
  const treatMissingData = (raw.treatMissingData ?? 'notBreaching') as TreatMissingData;
  if (!TREAT_MISSING_DATA.includes(treatMissingData)) {
    throw new ConfigError(
      `${field}.treatMissingData`,
      `expected one of ${TREAT_MISSING_DATA.join(', ')}, got ${show(raw.treatMissingData)}`,
    );
  }
  return {
    threshold,
    evaluationPeriods,
    ...(datapointsToAlarm !== undefined && { datapointsToAlarm }),
    periodSeconds,
    treatMissingData,
  };
}

function parseEmails(value: unknown, field = 'notificationEmails'): string[] {
  if (value === undefined || value === '') return [];
  let list: unknown = value;
  if (typeof value === 'string') {
    list = value.trim().startsWith('[')
      ? parseJsonString(field, value)
      : value
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '');
  }
  return parseStringList(field, list, EMAIL_PATTERN, 'an email address', false);
}

function parseStringList(
  field: string,
  value: unknown,
  pattern: RegExp,
  what: string,
  nonEmpty: boolean,
): string[] {
  const list = asArray(field, parseJsonString(field, value), `an array of ${what}s`);
  if (nonEmpty && list.length === 0) throw new ConfigError(field, `expected a non-empty array of ${what}s, got []`);
  return list.map((item, index) => parsePattern(`${field}[${index}]`, item, pattern, what));
}

/**
 * A health URL the probe may request (lambdas/core/url-safety.ts): http(s), no credentials, not a
 * loopback, link-local (metadata), private or other refused address. Errors quote it redacted.
 */
function parseHealthCheckUrl(field: string, value: unknown): string {
  const text = asString(field, value, 'an http(s) URL');
  const problem = healthUrlProblem(text);
  if (problem !== undefined) throw new ConfigError(field, `${problem}, got ${show(redactUrl(text))}`);
  return text;
}

function parseInteger(field: string, value: unknown, fallback: number, min: number, max: number): number {
  const n = parseNumber(field, value, fallback, min, max);
  if (!Number.isInteger(n)) throw new ConfigError(field, `expected a whole number, got ${show(value)}`);
  return n;
}

function parseNumber(field: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) {
    throw new ConfigError(field, `expected a number between ${min} and ${max}, got ${show(value)}`);
  }
  if (n < min || n > max) {
    throw new ConfigError(field, `expected a number between ${min} and ${max}, got ${show(value)}`);
  }
  return n;
}

function parsePattern(field: string, value: unknown, pattern: RegExp, what: string): string {
  const text = asString(field, value, what);
  if (!pattern.test(text)) throw new ConfigError(field, `expected ${what}, got ${show(value)}`);
  return text;
}

function asString(field: string, value: unknown, what: string): string {
  if (typeof value !== 'string') throw new ConfigError(field, `expected ${what}, got ${show(value)}`);
  return value;
}

function asArray(field: string, value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new ConfigError(field, `expected ${what}, got ${show(value)}`);
  return value;
}

function asObject(field: string, value: unknown, what: string): Raw {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(field, `expected ${what}, got ${show(value)}`);
  }
  return value as Raw;
}

/** `-c key=value` gives strings: a value that looks like JSON (array or object) is parsed. */
function parseJsonString(field: string, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (!text.startsWith('[') && !text.startsWith('{')) return value;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(field, `expected JSON, got ${show(value)} (${(error as Error).message})`);
  }
}

function rejectUnknownKeys(field: string, raw: Raw, known: readonly string[]): void {
  for (const key of Object.keys(raw)) {
    if (!known.includes(key)) {
      const path = field === '' ? key : `${field}.${key}`;
      throw new ConfigError(path, `unknown setting (expected one of ${known.join(', ')}), got ${show(raw[key])}`);
    }
  }
}

function optional<T>(value: unknown, parse: (value: unknown) => T): T | undefined {
  return value === undefined ? undefined : parse(value);
}

function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  return excerpt(JSON.stringify(value) ?? String(value));
}
