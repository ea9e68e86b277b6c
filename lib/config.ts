/**
 * The deployment's configuration: read from CDK context (cdk.json, `-c key=value`) or a JSON file
 * named by `-c config=path`, validated at synth time. Every error names the field and the bad value.
 *
 * The checks are one schema (zod/mini, bundled into the package: users need no zod): the field
 * schemas below say what each setting accepts, its default and its message. The context reader
 * (loadConfig) and the construct's props (parseSettings, checkText) parse with the same schemas, so a
 * value is accepted or refused, with the same field-named message, whichever way it is given.
 */
import * as z from 'zod/mini';
import { backoffSeconds } from '../lambdas/core/health';
import { DEFAULT_DETECTOR_THRESHOLD, DEFAULT_DETECTOR_WINDOW_MINUTES } from '../lambdas/core/task-stops';
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

/** The task-stop detector (lambdas/detect-task-stops): counts the newest deployment's bad-version task stops. */
export interface TaskStopDetectorSettings {
  /** Deploy the detector's rule and function. @default true */
  readonly enabled: boolean;
  /** Counted stops of one deployment that start a rollback (K). @default 2 (lambdas/core/task-stops.ts) */
  readonly threshold: number;
  /** Stops count only this long after the deployment started. @default 60 */
  readonly windowMinutes: number;
  /** Report what the detector would do (a dry-run execution) instead of rolling back. @default false */
  readonly notifyOnly: boolean;
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
  /** Lifetime of the per-service lock (a safety net: ReleaseLock frees it). @default 2 h, or the worst case of an execution up to ReleaseLock + 30 min if longer (lib/execution-budget.ts lockedSeconds) */
  readonly lockTtlSeconds: number;
  readonly probe: ProbeSettings;
  readonly unhealthyHostAlarm: UnhealthyHostAlarmSettings;
  readonly taskStopDetector: TaskStopDetectorSettings;
  /** Retention of every log group (a CloudWatch Logs retention value). @default 30 */
  readonly logRetentionDays: number;
  /**
   * A role GitHub Actions assumes through OIDC for manual rollbacks (`githubRepository`, optional
   * `githubEnvironments` and `githubOidcProviderArn`). @default - none
   */
  readonly githubActions?: GitHubActionsSettings;
}

/** The GitHub Actions role's settings (EcsAutoRollbackProps.githubActions). */
export interface GitHubActionsSettings {
  /** `owner/name` */
  readonly repository: string;
  /** @default - any run of the repository */
  readonly environments?: readonly string[];
  /** The account's GitHub OIDC provider. @default - a new one */
  readonly oidcProviderArn?: string;
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
  'taskStopDetector',
  'logRetentionDays',
] as const;

/** Top-level settings, as context keys or keys of the config file (the order errors are looked for in). */
export const CONFIG_KEYS = [
  'project',
  'services',
  'topicArn',
  'notificationEmails',
  'topicKmsKeyArn',
  'operationsTopicArn',
  'operationsEmails',
  ...SETTING_KEYS,
  'region',
  'account',
  'githubRepository',
  'githubEnvironments',
  'githubOidcProviderArn',
] as const;

/** The retention values CloudWatch Logs accepts. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;
const TREAT_MISSING_DATA: readonly TreatMissingData[] = ['notBreaching', 'breaching', 'ignore', 'missing'];

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
/** GitHub owner (up to 39 characters) / repository name (up to 100). */
export const GITHUB_REPOSITORY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/;
/** A GitHub environment name as it appears in the OIDC token's `sub`: no wildcard or claim separator. */
export const GITHUB_ENVIRONMENT_PATTERN = /^[^*?:\p{Cc}]{1,255}$/u;
/** GitHub's OIDC provider in IAM. */
const GITHUB_OIDC_PROVIDER_ARN_PATTERN = /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/;

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

// ---------------------------------------------------------------------------------------------
// The schema. Each field schema carries its own message: `expected <what>, got <the value>`.
// ---------------------------------------------------------------------------------------------

type Raw = Record<string, unknown>;
type Payload = z.core.ParsePayload;

/** Error params for a field schema: the message names what was expected and quotes what was given. */
function expected(what: string): { error: (issue: { readonly input?: unknown }) => string } {
  return { error: (issue) => `expected ${what}, got ${show(issue.input)}` };
}

/** Adds an issue found by a cross-field rule, at `path` under the value being parsed. */
function report(payload: Payload, path: readonly PropertyKey[], message: string, input: unknown): void {
  payload.issues.push({ code: 'custom', message, input, path: [...path] });
}

/** Text that matches `pattern` (and `also`, when given). */
function text(what: string, pattern: RegExp, also?: (value: string) => boolean) {
  const params = expected(what);
  const schema = z.string(params).check(z.regex(pattern, params));
  return also === undefined ? schema : schema.check(z.refine(also, params));
}

/** `-c key=value` gives strings: a value that looks like JSON (array or object) is parsed. */
function fromJsonText<T extends z.core.$ZodType>(schema: T) {
  const json = z.transform((value: unknown, payload: Payload) => {
    if (typeof value !== 'string') return value;
    const trimmed = value.trim();
    if (!trimmed.startsWith('[') && !trimmed.startsWith('{')) return value;
    try {
      return JSON.parse(trimmed) as unknown;
    } catch (error) {
      report(payload, [], `expected JSON, got ${show(value)} (${(error as Error).message})`, value);
      return undefined;
    }
  });
  return z.pipe(json, schema);
}

/** A number, also given as text (`-c pollIntervalSeconds=20`), within [min, max]; whole unless `fraction`. */
function numberIn(min: number, max: number, fraction = false) {
  const range = expected(`a number between ${min} and ${max}`);
  const asNumber = z.transform((value: unknown) =>
    typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value,
  );
  const number = z.number(range).check(z.gte(min, range), z.lte(max, range));
  return z.pipe(asNumber, fraction ? number : number.check(z.multipleOf(1, expected('a whole number'))));
}

/** A list of `item`s, also given as JSON text; `nonEmpty`: at least one. */
function listOf<T extends z.core.$ZodType>(what: string, item: T, nonEmpty: boolean) {
  const list = z.array(item, expected(`an array of ${what}s`));
  return fromJsonText(nonEmpty ? list.check(z.minLength(1, expected(`a non-empty array of ${what}s`))) : list);
}

/** An object with exactly these keys: any other key is refused as an unknown setting, by its own path. */
function settingsObject<T extends z.core.$ZodLooseShape>(what: string, shape: T) {
  const known = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown setting (expected one of ${known}), got ${show((issue.input as Raw)[issue.keys[0] as string])}`
        : `expected ${what}, got ${show(issue.input)}`,
  });
}

const projectSchema = z.string({ error: (issue) => projectMessage(issue.input) }).check(
  z.regex(PROJECT_PATTERN, { error: (issue) => projectMessage(issue.input) }),
);
function projectMessage(input: unknown): string {
  if (input === undefined || input === '') return 'required: pass -c project=<name> (for example -c project=riderapp)';
  return `expected a lowercase name of 2-32 letters, digits and hyphens, starting with a letter, got ${show(input)}`;
}

/**
 * A health URL the probe may request (lambdas/core/url-safety.ts): http(s), no credentials, not a
 * loopback, link-local (metadata), private or other refused address. Errors quote it redacted.
 */
const healthCheckUrlSchema = z.string(expected('an http(s) URL')).check(
  z.superRefine((url: string, payload) => {
    const problem = healthUrlProblem(url);
    if (problem !== undefined) payload.addIssue({ code: 'custom', message: `${problem}, got ${show(redactUrl(url))}`, input: url });
  }),
);

/** The field schemas of text settings, shared by the configuration and the construct's props. */
const TEXT = {
  cluster: text('a cluster name', ECS_NAME_PATTERN),
  service: text('a service name', ECS_NAME_PATTERN),
  ecrRepository: text(
    'an ECR repository name (lowercase, not a URI)',
    ECR_REPOSITORY_PATTERN,
    (name) => !ECR_URI_PATTERN.test(name),
  ),
  containerName: text('a container name', CONTAINER_NAME_PATTERN),
  alarmName: text('a CloudWatch alarm name', ALARM_NAME_PATTERN),
  email: text('an email address', EMAIL_PATTERN),
  roleArn: text('an IAM role ARN', ROLE_ARN_PATTERN),
  topicArn: text('an SNS topic ARN', SNS_TOPIC_ARN_PATTERN),
  kmsKeyArn: text('a KMS key ARN', KMS_KEY_ARN_PATTERN),
  region: text('an AWS region such as us-east-1', REGION_PATTERN),
  account: text('a 12-digit AWS account id', ACCOUNT_PATTERN),
  githubRepository: text('a GitHub repository as owner/name', GITHUB_REPOSITORY_PATTERN),
  githubEnvironment: text('GitHub environment name (no *, ? or :)', GITHUB_ENVIRONMENT_PATTERN),
  githubOidcProviderArn: text('the ARN of the oidc-provider/token.actions.githubusercontent.com', GITHUB_OIDC_PROVIDER_ARN_PATTERN),
};

/** Email addresses: a list, JSON text of one, or comma-separated text (`-c notificationEmails=a@x.io,b@x.io`). */
const emailsSchema = z.pipe(
  z.transform((value: unknown) => {
    if (value === '') return [];
    if (typeof value === 'string' && !value.trim().startsWith('[')) {
      return value
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part !== '');
    }
    return value;
  }),
  listOf('email addresse', TEXT.email, false),
);

const probeSchema = z.prefault(
  fromJsonText(
    z.pipe(
      settingsObject('a probe object', {
        attempts: z._default(numberIn(1, 50), 5),
        intervalSeconds: z._default(numberIn(1, 60), 5),
        timeoutSeconds: z._default(numberIn(1, 60), 5),
      }),
      z.transform((probe: ProbeSettings, payload: Payload) => {
        const budget = probeBudgetSeconds(probe);
        if (budget > MAX_PROBE_FUNCTION_SECONDS) {
          report(
            payload,
            [],
            `every attempt timing out plus every backoff must fit in one Lambda invocation (${MAX_PROBE_FUNCTION_SECONDS} s), got ${budget} s for ${show(probe)}`,
            probe,
          );
        }
        return probe;
      }),
    ),
  ),
  {},
);

const unhealthyHostAlarmSchema = z.prefault(
  fromJsonText(
    z.pipe(
      settingsObject('an alarm settings object', {
        threshold: z._default(numberIn(1, 10_000, true), 1),
        evaluationPeriods: z._default(numberIn(1, 100), 2),
        datapointsToAlarm: z.optional(numberIn(1, 100)),
        periodSeconds: z._default(numberIn(60, 86_400).check(z.multipleOf(60, expected('a multiple of 60'))), 60),
        treatMissingData: z._default(
          text(`one of ${TREAT_MISSING_DATA.join(', ')}`, /^/, (mode) => (TREAT_MISSING_DATA as string[]).includes(mode)),
          'notBreaching',
        ),
      }),
      z.transform((alarm, payload: Payload): UnhealthyHostAlarmSettings => {
        const { datapointsToAlarm, evaluationPeriods, periodSeconds } = alarm;
        if (datapointsToAlarm !== undefined && datapointsToAlarm > evaluationPeriods) {
          report(payload, ['datapointsToAlarm'], `expected a number between 1 and ${evaluationPeriods}, got ${datapointsToAlarm}`, datapointsToAlarm);
        }
        if (evaluationPeriods * periodSeconds > 86_400) {
          report(
            payload,
            ['evaluationPeriods'],
            `evaluationPeriods × periodSeconds must be at most one day (86400), got ${evaluationPeriods * periodSeconds}`,
            evaluationPeriods,
          );
        }
        return {
          threshold: alarm.threshold,
          evaluationPeriods,
          ...(datapointsToAlarm !== undefined && { datapointsToAlarm }),
          periodSeconds,
          treatMissingData: alarm.treatMissingData as TreatMissingData,
        };
      }),
    ),
  ),
  {},
);

/** true or false, also given as text (`-c taskStopDetector='{"notifyOnly":"true"}'`). */
const flagSchema = z.pipe(
  z.transform((value: unknown) => (value === 'true' ? true : value === 'false' ? false : value)),
  z.boolean(expected('true or false')),
);

const taskStopDetectorSchema = z.prefault(
  fromJsonText(
    settingsObject('a detector settings object', {
      enabled: z._default(flagSchema, true),
      threshold: z._default(numberIn(1, 200), DEFAULT_DETECTOR_THRESHOLD),
      windowMinutes: z._default(numberIn(1, 7 * 24 * 60), DEFAULT_DETECTOR_WINDOW_MINUTES),
      notifyOnly: z._default(flagSchema, false),
    }),
  ),
  {},
);

/** The tuning settings' field schemas: configuration keys and construct props by the same names. */
const SETTINGS_SHAPE = {
  pollIntervalSeconds: z._default(numberIn(1, 3600), 15),
  stabilizationTimeoutMinutes: z._default(numberIn(1, 24 * 60), 15),
  alarmRollbackWindowMinutes: z._default(numberIn(1, 7 * 24 * 60), 60),
  cooldownMinutes: z._default(numberIn(1, 24 * 60), 30),
  lockTtlSeconds: z.optional(numberIn(1, 7 * 24 * 3600)),
  probe: probeSchema,
  unhealthyHostAlarm: unhealthyHostAlarmSchema,
  taskStopDetector: taskStopDetectorSchema,
  logRetentionDays: z._default(
    numberIn(1, 3653).check(
      z.refine((days: number) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), expected(`one of ${LOG_RETENTION_DAYS.join(', ')}`)),
    ),
    30,
  ),
};

type ParsedSettings = z.output<z.ZodMiniObject<typeof SETTINGS_SHAPE>>;

/**
 * The rules between settings: the poll fits in the stabilisation timeout, and the lock outlives the
 * longest execution (its default: 2 h, or that execution + 30 min if longer).
 */
function settingsOf(parsed: ParsedSettings, payload: Payload): Settings {
  const { pollIntervalSeconds, stabilizationTimeoutMinutes, probe } = parsed;
  if (pollIntervalSeconds > stabilizationTimeoutMinutes * 60) {
    report(
      payload,
      ['pollIntervalSeconds'],
      `expected at most stabilizationTimeoutMinutes × 60 (${stabilizationTimeoutMinutes * 60}), got ${pollIntervalSeconds}`,
      pollIntervalSeconds,
    );
  }
  // the lock is released before the digest wait: it must outlive the execution up to ReleaseLock
  const longestExecutionSeconds = executionTimeout({
    stabilizationTimeoutSeconds: stabilizationTimeoutMinutes * 60,
    pollIntervalSeconds,
    probeBudgetSeconds: probeBudgetSeconds(probe),
  }).lockedSeconds;
  const maxLockTtl = 7 * 24 * 3600;
  let lockTtlSeconds = parsed.lockTtlSeconds ?? Math.max(DEFAULT_LOCK_TTL_SECONDS, longestExecutionSeconds + 1800);
  if (lockTtlSeconds < longestExecutionSeconds) {
    report(payload, ['lockTtlSeconds'], `expected a number between ${longestExecutionSeconds} and ${maxLockTtl}, got ${lockTtlSeconds}`, lockTtlSeconds);
    lockTtlSeconds = longestExecutionSeconds;
  }
  return {
    pollIntervalSeconds,
    stabilizationTimeoutMinutes,
    alarmRollbackWindowMinutes: parsed.alarmRollbackWindowMinutes,
    cooldownMinutes: parsed.cooldownMinutes,
    lockTtlSeconds,
    probe,
    unhealthyHostAlarm: parsed.unhealthyHostAlarm,
    taskStopDetector: parsed.taskStopDetector,
    logRetentionDays: parsed.logRetentionDays,
  };
}

/** The settings on their own (the construct's props): their fields, then the rules between them. */
const settingsSchema = z.pipe(
  settingsObject('settings', SETTINGS_SHAPE),
  z.transform((parsed, payload: Payload) => settingsOf(parsed, payload)),
);

/** One watched service; names the project implies are the defaults. */
function serviceSchema(names: ReturnType<typeof defaultNames>) {
  const targetGroupHint = 'a target group ARN or "targetgroup/<name>/<16 hex digits>"';
  const loadBalancerHint = `"app/${names.loadBalancerName}/<16 hex digits>" or an ALB ARN`;
  return z.pipe(
    settingsObject('a service object', {
      cluster: z._default(TEXT.cluster, names.cluster),
      service: z._default(TEXT.service, names.service),
      ecrRepository: z._default(TEXT.ecrRepository, names.ecrRepository),
      containerNames: z.optional(listOf('container name', TEXT.containerName, true)),
      targetGroup: z.optional(
        text(targetGroupHint, /^/, (tg) => TARGET_GROUP_ARN_PATTERN.test(tg) || TARGET_GROUP_NAME_PATTERN.test(tg)),
      ),
      loadBalancer: z.optional(
        text(loadBalancerHint, /^/, (lb) => LOAD_BALANCER_ARN_PATTERN.test(lb) || LOAD_BALANCER_NAME_PATTERN.test(lb)),
      ),
      healthCheckUrl: z.optional(healthCheckUrlSchema),
      alarmNames: z._default(listOf('CloudWatch alarm name', TEXT.alarmName, false), []),
      taskRoleArns: z.optional(listOf('IAM role ARN', TEXT.roleArn, true)),
      executionRoleArns: z.optional(listOf('IAM role ARN', TEXT.roleArn, true)),
    }),
    z.transform((raw, payload: Payload): ServiceSettings => {
      const targetGroupArn = raw.targetGroup !== undefined && TARGET_GROUP_ARN_PATTERN.test(raw.targetGroup) ? raw.targetGroup : undefined;
      const targetGroup = targetGroupArn === undefined ? raw.targetGroup : (TARGET_GROUP_ARN_PATTERN.exec(targetGroupArn)?.[1] as string);
      const loadBalancer = raw.loadBalancer === undefined ? undefined : (LOAD_BALANCER_ARN_PATTERN.exec(raw.loadBalancer)?.[1] ?? raw.loadBalancer);
      if (targetGroup !== undefined && loadBalancer === undefined) {
        report(
          payload,
          ['loadBalancer'],
          `required with targetGroup (the alarm's LoadBalancer dimension), expected "app/${names.loadBalancerName}/<id>" or an ALB ARN, got undefined`,
          undefined,
        );
      }
      if (loadBalancer !== undefined && targetGroup === undefined) {
        report(
          payload,
          ['targetGroup'],
          'required with loadBalancer (the alarm watches a target group), expected "targetgroup/<name>/<id>" or a target group ARN, got undefined',
          undefined,
        );
      }
      return {
        cluster: raw.cluster,
        service: raw.service,
        ecrRepository: raw.ecrRepository,
        ...(raw.containerNames !== undefined && { containerNames: raw.containerNames }),
        ...(targetGroup !== undefined && { targetGroup }),
        ...(targetGroupArn !== undefined && { targetGroupArn }),
        ...(loadBalancer !== undefined && { loadBalancer }),
        ...(raw.healthCheckUrl !== undefined && { healthCheckUrl: raw.healthCheckUrl }),
        alarmNames: raw.alarmNames,
        ...(raw.taskRoleArns !== undefined && { taskRoleArns: raw.taskRoleArns }),
        ...(raw.executionRoleArns !== undefined && { executionRoleArns: raw.executionRoleArns }),
      };
    }),
  );
}

/** The services: at least one, no cluster/service twice; none given: the project's own service. */
function servicesSchema(names: ReturnType<typeof defaultNames>) {
  const list = z.array(serviceSchema(names), expected('a non-empty array of services'));
  return z.prefault(
    fromJsonText(
      z.pipe(
        list.check(z.minLength(1, expected('a non-empty array of services'))),
        z.transform((services: ServiceSettings[], payload: Payload) => {
          const seen = new Map<string, number>();
          services.forEach((service, index) => {
            const key = `${service.cluster}/${service.service}`;
            const first = seen.get(key);
            if (first !== undefined) report(payload, [index], `duplicate of services[${first}] (${show(key)})`, service);
            else seen.set(key, index);
          });
          return services;
        }),
      ),
    ),
    [{}],
  );
}

/** The whole configuration of one project: its fields, then the rules between them. */
function configSchema(project: string) {
  const names = defaultNames(project);
  return z.pipe(
    settingsObject('a configuration object', {
      project: z.string(),
      services: servicesSchema(names),
      topicArn: z.optional(TEXT.topicArn),
      notificationEmails: z._default(emailsSchema, []),
      topicKmsKeyArn: z.optional(TEXT.kmsKeyArn),
      operationsTopicArn: z.optional(TEXT.topicArn),
      operationsEmails: z.optional(z.pipe(emailsSchema, z.transform((emails: string[]) => emails))),
      ...SETTINGS_SHAPE,
      region: z.optional(TEXT.region),
      account: z.optional(TEXT.account),
      githubRepository: z.optional(TEXT.githubRepository),
      githubEnvironments: z.optional(listOf('GitHub environment name', TEXT.githubEnvironment, true)),
      githubOidcProviderArn: z.optional(TEXT.githubOidcProviderArn),
    }),
    z.transform((raw, payload: Payload): AppConfig => {
      if (raw.topicArn !== undefined && raw.notificationEmails.length > 0) {
        report(
          payload,
          ['notificationEmails'],
          `give either notificationEmails (a new topic) or topicArn (an existing topic), not both; got ${show(raw.notificationEmails)}`,
          raw.notificationEmails,
        );
      }
      if (raw.topicKmsKeyArn !== undefined && raw.topicArn === undefined) {
        report(payload, ['topicKmsKeyArn'], `only applies with topicArn, got ${show(raw.topicKmsKeyArn)}`, raw.topicKmsKeyArn);
      }
      if (raw.operationsTopicArn !== undefined && raw.operationsEmails !== undefined && raw.operationsEmails.length > 0) {
        report(
          payload,
          ['operationsEmails'],
          `give either operationsEmails (a new operations topic) or operationsTopicArn (an existing topic), not both; got ${show(raw.operationsEmails)}`,
          raw.operationsEmails,
        );
      }
      for (const key of ['githubEnvironments', 'githubOidcProviderArn'] as const) {
        if (raw[key] !== undefined && raw.githubRepository === undefined) {
          report(payload, [key], `only applies with githubRepository, got ${show(raw[key])}`, raw[key]);
        }
      }
      const settings = settingsOf(raw, payload);
      return {
        project,
        ...(raw.region !== undefined && { region: raw.region }),
        ...(raw.account !== undefined && { account: raw.account }),
        services: raw.services,
        notificationEmails: raw.notificationEmails,
        ...(raw.topicArn !== undefined && { topicArn: raw.topicArn }),
        ...(raw.topicKmsKeyArn !== undefined && { topicKmsKeyArn: raw.topicKmsKeyArn }),
        operationsEmails: raw.operationsTopicArn === undefined ? (raw.operationsEmails ?? raw.notificationEmails) : [],
        ...(raw.operationsTopicArn !== undefined && { operationsTopicArn: raw.operationsTopicArn }),
        ...settings,
        ...(raw.githubRepository !== undefined && {
          githubActions: {
            repository: raw.githubRepository,
            ...(raw.githubEnvironments !== undefined && { environments: raw.githubEnvironments }),
            ...(raw.githubOidcProviderArn !== undefined && { oidcProviderArn: raw.githubOidcProviderArn }),
          },
        }),
      };
    }),
  );
}

/** Parses `value` with `schema`; the first issue becomes a ConfigError naming its field under `field`. */
function parseWith<T extends z.core.$ZodType>(schema: T, value: unknown, field = ''): z.output<T> {
  const result = z.safeParse(schema, value);
  if (result.success) return result.data;
  const issue = result.error.issues[0] as z.core.$ZodIssue;
  const path: PropertyKey[] = [...issue.path];
  if (issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined) path.push(issue.keys[0]);
  const name = path.reduce<string>(
    (name, key) => (typeof key === 'number' ? `${name}[${key}]` : name === '' ? String(key) : `${name}.${String(key)}`),
    field,
  );
  throw new ConfigError(name, issue.message);
}

// ---------------------------------------------------------------------------------------------

/** Loads and validates the configuration; throws ConfigError naming the first bad field. */
export function loadConfig(get: ContextGetter, options: LoadOptions = {}): AppConfig {
  const env = options.env ?? {};
  const raw = mergeSources(get, options.readFile);
  const project = parseWith(projectSchema, raw.project, 'project');
  const region = raw.region ?? env.CDK_DEFAULT_REGION;
  const account = raw.account ?? env.CDK_DEFAULT_ACCOUNT;
  return parseWith(configSchema(project), {
    ...raw,
    ...(region !== undefined && { region }),
    ...(account !== undefined && { account }),
  });
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
  | 'taskStopDetector'
  | 'logRetentionDays'
>;

/** Validates the settings (context values or construct props, same field names) and fills in the defaults. */
export function parseSettings(raw: Readonly<Record<string, unknown>>): Settings {
  return parseWith(settingsSchema, raw);
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

/** The configuration's schema of each kind of construct text prop (lists: of each element). */
const TEXT_PROPS = {
  project: projectSchema,
  cluster: TEXT.cluster,
  service: TEXT.service,
  ecrRepository: TEXT.ecrRepository,
  healthCheckUrl: healthCheckUrlSchema,
  containerNames: TEXT.containerName,
  alarmNames: TEXT.alarmName,
  notificationEmails: TEXT.email,
} as const;

/**
 * Checks a construct prop with the configuration's schema of the same setting, when it is text: a
 * value that is a token at synth time (a string holding CDK's `${Token[...]}` marker, or a list
 * element that is one) is passed through unchecked.
 * Throws a ConfigError naming `field`.
 */
export function checkText<T extends string | readonly string[]>(field: string, value: T, kind: TextKind): T {
  const isToken = (text: unknown): boolean => typeof text === 'string' && text.includes('${Token[');
  const schema = TEXT_PROPS[kind];
  if (Array.isArray(value)) {
    if (kind === 'containerNames' && value.length === 0) {
      throw new ConfigError(field, 'expected a non-empty array of container names, got []');
    }
    value.forEach((item, index) => {
      if (!isToken(item)) parseWith(schema, item, `${field}[${index}]`);
    });
    return value;
  }
  if (!isToken(value)) parseWith(schema, value, field);
  return value;
}

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
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError('config', `expected a JSON object in ${configPath}, got ${show(parsed)}`);
    }
    Object.assign(merged, parsed);
  }
  for (const key of CONFIG_KEYS) {
    const value = get(key);
    if (value !== undefined) merged[key] = value;
  }
  return merged;
}

function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  return excerpt(JSON.stringify(value) ?? String(value));
}
