/**
 * Notification text, pure: the SNS subject, the body a person reads at 3 a.m. (what happened and
 * the state now, then what to do next, then the details and links), the chat message, and the
 * message attributes subscription filters use, for every outcome of an execution.
 */
import type { Outcome } from '../shared/metrics';
import { CRASH_ERROR_NAMES, LAMBDA_SERVICE_ERROR_NAMES } from '../shared/errors';
import { isRecord } from '../shared/narrow';
import type {
  ContainerImage,
  FailureRecord,
  NotificationKind,
  NotifyInput,
  RollbackState,
  RollbackType,
  TaskDefinitionRef,
} from '../shared/types';
import { endingOf, skipReason, timeToRecoveredSeconds } from './ending';
import { STOPPABLE_STATUSES } from './native-rollback';
import { REASONS } from './reasons';
import { shortTaskDefinition } from './stability';
import { onlyHealthCheckStops } from './task-stops';
import { redactUrl } from './url-safety';

/** Message attributes of every notification (String), for SNS subscription filter policies. */
export interface NotificationAttributes {
  /** The kind: success, skipped, dry-run, failure. */
  readonly status: NotificationKind;
  /** Succeeded, Skipped, DryRun, Failed (the metrics' Outcome). */
  readonly outcome: Outcome;
  readonly project: string;
  readonly cluster: string;
  readonly service: string;
  /** deployment-failed, alarm, manual, or unknown. */
  readonly trigger: string;
  /** Skipped: the reason code; failed: the step; else the kind. */
  readonly detail: string;
}

/** What Notify publishes. */
export interface NotificationText {
  readonly subject: string;
  /** The plain text for email (and every protocol without its own entry). */
  readonly body: string;
  /** The Amazon Q Developer in chat applications custom notification (sent to HTTPS subscribers). */
  readonly chat: ChatNotification;
  readonly attributes: NotificationAttributes;
}

/**
 * Amazon Q Developer in chat applications custom notification: version "1.0", source "custom",
 * content {textType, title, description, nextSteps, keywords}, optional id and metadata.
 * https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html
 */
export interface ChatNotification {
  readonly version: '1.0';
  readonly source: 'custom';
  readonly id?: string;
  readonly content: {
    readonly textType: 'client-markdown';
    readonly title: string;
    readonly description: string;
    readonly nextSteps: readonly string[];
    readonly keywords: readonly string[];
  };
  readonly metadata: {
    readonly threadId: string;
    readonly summary: string;
    readonly eventType: string;
    readonly relatedResources: readonly string[];
    readonly additionalContext: Readonly<Record<string, string>>;
  };
}

/** Options that do not come from the state. */
export interface MessageOptions {
  /** The project: prefix of the subject ("[riderapp]") and `--project` of the suggested commands. */
  readonly projectName?: string;
  /** When the notification is built (ISO 8601). */
  readonly now: string;
  /** Advice lines for the rollback type (lambdas/core/advisory.ts), shown under "Advice". */
  readonly advice?: readonly string[];
  /** The cool-down after a rollback (COOLDOWN_MINUTES), to say when it ends. */
  readonly cooldownMinutes?: number;
  /** The task functions' log groups: the Logs Insights link queries them. */
  readonly logGroupNames?: readonly string[];
}

/** SNS's limit is < 100 characters. */
export const MAX_SUBJECT_LENGTH = 99;
const UNKNOWN = 'unknown';
const INPUT_EXCERPT_LENGTH = 1000;
/** Stopped tasks shown in a notification; the rest are counted. */
const MAX_STOPPED_TASKS = 3;

const ASCII_REPLACEMENTS: Readonly<Record<string, string>> = { '→': '->', '—': '-', '–': '-', '…': '...', '’': "'" };

/** An SNS subject: printable ASCII, one line, fewer than 100 characters. */
export function sanitizeSubject(text: string): string {
  const ascii = [...text]
    .map((c) => ASCII_REPLACEMENTS[c] ?? c)
    .join('')
    .replace(/\s+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?')
    .trim();
  return ascii.length <= MAX_SUBJECT_LENGTH ? ascii : `${ascii.slice(0, MAX_SUBJECT_LENGTH - 3).trimEnd()}...`;
}

/** Step Functions' Cause: {errorType, errorMessage} when it is a Lambda error's JSON, else the raw text. */
export function parseCause(cause: string | undefined): { readonly errorType?: string; readonly errorMessage: string } {
  if (cause === undefined || cause === '') return { errorMessage: '(no cause given)' };
  try {
    const parsed: unknown = JSON.parse(cause);
    if (typeof parsed === 'object' && parsed !== null && 'errorMessage' in parsed) {
      const { errorType, errorMessage } = parsed as { errorType?: unknown; errorMessage?: unknown };
      return {
        ...(typeof errorType === 'string' ? { errorType } : {}),
        errorMessage: typeof errorMessage === 'string' ? errorMessage : JSON.stringify(errorMessage),
      };
    }
  } catch {
    // not JSON: shown as it is
  }
  return { errorMessage: cause };
}

// ---------------------------------------------------------------------------------------------
// Names instead of ARNs, UTC times, durations

const ARN = /arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{0,12}:[^\s,;)"']+/g;

/** The name a person uses for an ARN: `riderapp:14`, an execution's name, a service, a target group, a role. */
export function nameOfArn(arn: string): string {
  const parts = arn.split(':');
  const service = parts[2];
  const resource = parts.slice(5).join(':');
  if (service === 'states' && (resource.startsWith('execution:') || resource.startsWith('stateMachine:'))) {
    return resource.split(':').pop() ?? resource;
  }
  if (service === 'elasticloadbalancing') {
    const [kind, name] = resource.split('/');
    return kind === 'targetgroup' || kind === 'loadbalancer' ? (name ?? resource) : resource;
  }
  const slash = resource.indexOf('/');
  if (service === 'ecs' && resource.startsWith('task-definition/')) return resource.slice(slash + 1);
  if (service === 'ecs' && resource.startsWith('service/')) return resource.split('/').pop() ?? resource;
  if (slash >= 0) return resource.split('/').pop() ?? resource;
  return resource;
}

const ISO_TIME = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)/g;

/** Replaces every ARN in a text by its name, and every ISO 8601 time by UTC to the second. */
export function withoutArns(text: string): string {
  return text.replace(ARN, (arn) => nameOfArn(arn)).replace(ISO_TIME, (time) => utc(time) ?? time);
}

/** `2026-12-01T03:04:05.000Z` → `2026-12-01T03:04:05Z` (UTC, ISO 8601, whole seconds); other text unchanged. */
export function utc(time: string | undefined): string | undefined {
  if (time === undefined) return undefined;
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? time : new Date(Math.round(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** `95` → `1 min 35 s`, `42` → `42 s`; undefined under half a second (no zero-second durations). */
export function formatDuration(seconds: number): string | undefined {
  const whole = Math.round(seconds);
  if (whole < 1) return undefined;
  if (whole < 60) return `${whole} s`;
  const minutes = Math.floor(whole / 60);
  const rest = whole % 60;
  if (minutes < 60) return rest === 0 ? `${minutes} min` : `${minutes} min ${rest} s`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${minutes % 60} min`;
}

/** An image without its registry: `riderapp:v1.4.0`, `riderapp@sha256:0123456789ab`. */
export function shortImage(image: string): string {
  const withoutRegistry = image.includes('/') ? image.slice(image.indexOf('/') + 1) : image;
  return withoutRegistry.replace(/@sha256:([0-9a-f]{12})[0-9a-f]+/, '@sha256:$1');
}

// ---------------------------------------------------------------------------------------------
// Links

/** Region and console host of the execution (from its ARN), else of the request. */
function consoleOf(state: Partial<RollbackState>): { readonly region: string; readonly host: string } | undefined {
  const parts = state.execution?.id?.split(':') ?? [];
  const fromArn = parts.length >= 7 && parts[0] === 'arn' ? { partition: parts[1], region: parts[3] } : undefined;
  const region = fromArn?.region ?? state.request?.region;
  if (region === undefined || region === '') return undefined;
  const partition = fromArn?.partition ?? 'aws';
  const host =
    partition === 'aws-cn'
      ? 'console.amazonaws.cn'
      : partition === 'aws-us-gov'
        ? 'console.amazonaws-us-gov.com'
        : `${region}.console.aws.amazon.com`;
  return { region, host };
}

/** The Step Functions console page of an execution ARN; undefined when the id is not an ARN. */
export function executionConsoleUrl(executionArn: string | undefined): string | undefined {
  const parts = executionArn?.split(':') ?? [];
  if (parts.length < 7 || parts[0] !== 'arn' || parts[2] !== 'states' || parts[5] !== 'execution') return undefined;
  const where = consoleOf({ execution: { id: executionArn as string, startTime: '' } });
  return where === undefined ? undefined : `https://${where.host}/states/home?region=${where.region}#/v2/executions/details/${executionArn}`;
}

/** Logs Insights query over the task functions' logs for one execution (the logger's `execution_arn` key). */
export function logsInsightsQuery(executionArn: string): string {
  return `fields @timestamp, level, message, ecs_service, function_name\n| filter execution_arn = "${executionArn}"\n| sort @timestamp asc`;
}

/** Escapes a value the way the CloudWatch console's Logs Insights URL expects (URI-encoded, `%` → `*`). */
function consoleEscape(value: string): string {
  return encodeURIComponent(value).replace(/%/g, '*');
}

/**
 * A Logs Insights console link with the query, the log groups and the time range filled in.
 * The console's URL format is not documented by AWS (UNV): it is the one the console itself writes.
 */
export function logsInsightsUrl(
  state: Partial<RollbackState>,
  logGroupNames: readonly string[],
  now: string,
): string | undefined {
  const executionArn = state.execution?.id;
  const where = consoleOf(state);
  const started = Date.parse(state.execution?.startTime ?? '');
  if (executionArn === undefined || where === undefined || logGroupNames.length === 0 || Number.isNaN(started)) return undefined;
  const start = new Date(started - 5 * 60_000).toISOString();
  const end = new Date(Date.parse(now) + 5 * 60_000).toISOString();
  const detail =
    `~(end~'${consoleEscape(end)}~start~'${consoleEscape(start)}~timeType~'ABSOLUTE~tz~'UTC` +
    `~editorString~'${consoleEscape(logsInsightsQuery(executionArn))}~source~(${logGroupNames.map((g) => `~'${consoleEscape(g)}`).join('')}))`;
  const fragment = encodeURIComponent(`?queryDetail=${detail}`).replace(/%/g, '$');
  return `https://${where.host}/cloudwatch/home?region=${where.region}#logsV2:logs-insights${fragment}`;
}

/** ECS console pages of the service and of its deployments (URL format from the console, UNV). */
function ecsUrls(state: Partial<RollbackState>): { readonly service?: string; readonly deployments?: string } {
  const { cluster, service } = serviceIdentity(state);
  const where = consoleOf(state);
  if (cluster === undefined || service === undefined || where === undefined) return {};
  const base = `https://${where.host}/ecs/v2/clusters/${encodeURIComponent(cluster)}/services/${encodeURIComponent(service)}`;
  return { service: `${base}/health?region=${where.region}`, deployments: `${base}/deployments?region=${where.region}` };
}

// ---------------------------------------------------------------------------------------------
// What the state says

/** Cluster and service of the execution: from the request, else best effort from the raw input. */
export function serviceIdentity(state: Partial<RollbackState>): { readonly cluster?: string; readonly service?: string } {
  if (state.request !== undefined) return { cluster: state.request.cluster, service: state.request.service };
  const input = state.input;
  if (!isRecord(input)) return {};
  const cluster = typeof input.cluster === 'string' && input.cluster !== '' ? input.cluster : undefined;
  const service = typeof input.service === 'string' && input.service !== '' ? input.service : undefined;
  if (cluster !== undefined || service !== undefined) {
    return { ...(cluster === undefined ? {} : { cluster }), ...(service === undefined ? {} : { service }) };
  }
  const serviceArn = Array.isArray(input.resources)
    ? input.resources.find((r): r is string => typeof r === 'string' && r.includes(':service/'))
    : undefined;
  const path = serviceArn?.slice(serviceArn.indexOf(':service/') + ':service/'.length).split('/') ?? [];
  if (path.length === 2) return { cluster: path[0], service: path[1] };
  if (path.length === 1) return { service: path[0] };
  return {};
}

/** One phase of the execution and how long it took. */
export interface PhaseDuration {
  readonly phase: string;
  readonly seconds: number;
}

const secondsBetween = (from: string, to: string): number => Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);

/** Durations of the phases that ran, from execution.startTime through each step's timestamp. */
export function phaseDurations(state: Partial<RollbackState>): PhaseDuration[] {
  const start = state.execution?.startTime;
  if (start === undefined || Number.isNaN(Date.parse(start))) return [];
  const watching = state.request?.action === 'watch';
  const marks: ReadonlyArray<readonly [string, string | undefined]> = [
    ['Prepare', state.request?.preparedAt],
    ['Resolve target', state.target?.resolvedAt],
    ['Register task definition', state.registration?.registeredAt],
    ['Update service', watching ? undefined : state.deployment?.startedAt],
    [watching ? 'Follow ECS rollback' : 'Stabilisation', state.stability?.checkedAt],
    ['Health probe', state.health?.checkedAt],
  ];
  const phases: PhaseDuration[] = [];
  let previous = start;
  for (const [phase, at] of marks) {
    if (at === undefined || Number.isNaN(Date.parse(at))) continue;
    phases.push({ phase, seconds: secondsBetween(previous, at) });
    previous = at;
  }
  return phases;
}

/** Seconds from the execution's start to recovery (the stability verdict), else to `now`. */
export function rollbackDurationSeconds(state: Partial<RollbackState>, now: string): number | undefined {
  const start = state.execution?.startTime;
  if (start === undefined || Number.isNaN(Date.parse(start))) return undefined;
  return secondsBetween(start, state.stability?.checkedAt ?? state.health?.checkedAt ?? now);
}

function skipMessage(state: Partial<RollbackState>): string | undefined {
  return state.request?.action === 'skip' ? state.request.actionMessage : state.target?.message;
}

function imagesText(images: readonly ContainerImage[] | undefined): string {
  if (images === undefined || images.length === 0) return '';
  if (images.length === 1) return shortImage(images[0]?.image ?? '');
  return images.map((i) => `${i.containerName}=${shortImage(i.image)}`).join(', ');
}

function revisionOf(ref: Pick<TaskDefinitionRef, 'family' | 'revision'>): string {
  return `${ref.family}:${ref.revision}`;
}

/** The revision being rolled back from ("riderapp:15"). */
function fromRevision(state: Partial<RollbackState>): string | undefined {
  return state.target?.current === undefined ? undefined : revisionOf(state.target.current);
}

/** The revision (or image) being rolled back to ("riderapp:14"). */
function toRevision(state: Partial<RollbackState>): string | undefined {
  if (state.registration !== undefined) return revisionOf(state.registration);
  if (state.request?.action === 'watch' && state.deployment !== undefined) {
    return shortTaskDefinition(state.deployment.taskDefinitionArn);
  }
  if (state.target?.taskDefinitionArn !== undefined) return shortTaskDefinition(state.target.taskDefinitionArn);
  const image = state.target?.image;
  if (image === undefined) return undefined;
  if (image.tag !== undefined) return `${image.repositoryUri.split('/').pop()}:${image.tag}`;
  return image.digest === undefined ? image.repositoryUri : shortImage(`${image.repositoryUri}@${image.digest}`);
}

function toImages(state: Partial<RollbackState>): string {
  if (state.registration !== undefined) return imagesText(state.registration.images);
  const image = state.target?.image;
  if (image === undefined) return '';
  if (image.digest !== undefined) return shortImage(`${image.repositoryUri}@${image.digest}`);
  return shortImage(image.tag === undefined ? image.repositoryUri : `${image.repositoryUri}:${image.tag}`);
}

/** The `--to` value that reproduces the target: a revision, else the image tag or digest. */
function toArgument(state: Partial<RollbackState>): string | undefined {
  if (state.registration !== undefined && !state.registration.registered) return revisionOf(state.registration);
  if (state.target?.taskDefinitionArn !== undefined) return shortTaskDefinition(state.target.taskDefinitionArn);
  return state.target?.image?.digest ?? state.target?.image?.tag;
}

/** The revision before `family:revision` (a candidate to roll back further), if there is one. */
function revisionBefore(revision: string | undefined): string | undefined {
  const match = revision === undefined ? null : /^(.+):(\d+)$/.exec(revision);
  if (match === null) return undefined;
  const number = Number(match[2]);
  return number > 1 ? `${match[1]}:${number - 1}` : undefined;
}

/** Did this execution (maybe) start its own rollback deployment? Then ReleaseLock starts the cool-down (lambdas/release-lock/release.ts). */
function startedOwnRollback(state: Partial<RollbackState>): boolean {
  const mayHaveDeployed = state.deployment !== undefined || state.failure?.step === 'UpdateService';
  return state.request?.action === 'rollback' && state.request.dryRun !== true && mayHaveDeployed;
}

const COOLDOWN_UNTIL = /until (\d{4}-\d\d-\d\dT[\d:.]+Z)/;
const LOCK_HOLDER = /Execution (arn:aws[a-z-]*:states:\S+?) is already rolling back/;

/** When the cool-down in force ends: the one this execution starts, or the one a CooldownActive skip names. */
function cooldownEnd(state: Partial<RollbackState>, options: MessageOptions): string | undefined {
  if (skipReason(state) === REASONS.COOLDOWN_ACTIVE) return utc(COOLDOWN_UNTIL.exec(skipMessage(state) ?? '')?.[1]);
  if (!startedOwnRollback(state) || options.cooldownMinutes === undefined) return undefined;
  return utc(new Date(Date.parse(options.now) + options.cooldownMinutes * 60_000).toISOString());
}

// ---------------------------------------------------------------------------------------------
// Commands a person can paste

function shellQuote(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `ecs-rollback <command> --project … --cluster … --service … --region …` for this service. */
function cli(state: Partial<RollbackState>, options: MessageOptions, command: string, extra: readonly string[] = []): string | undefined {
  const { cluster, service } = serviceIdentity(state);
  if (cluster === undefined || service === undefined) return undefined;
  const where = consoleOf(state);
  const stateMachine = options.projectName
    ? ['--project', options.projectName]
    : state.execution?.id?.includes(':execution:')
      ? ['--state-machine-arn', state.execution.id.replace(':execution:', ':stateMachine:').replace(/:[^:]+$/, '')]
      : [];
  const args = [...stateMachine, '--cluster', cluster, '--service', service, ...(where ? ['--region', where.region] : []), ...extra];
  return `ecs-rollback ${command} ${args.map(shellQuote).join(' ')}`;
}

function startCommand(state: Partial<RollbackState>, options: MessageOptions, to: string | undefined, reason: string): string | undefined {
  return cli(state, options, 'start', [...(to === undefined ? [] : ['--to', to]), '--reason', reason]);
}

// ---------------------------------------------------------------------------------------------
// Body sections

const LABEL_WIDTH = 12;

function line(label: string, value: string | undefined): string[] {
  if (value === undefined || value === '') return [];
  return [`  ${label.padEnd(LABEL_WIDTH)}${value}`];
}

function section(title: string, lines: readonly string[]): string[] {
  return lines.length === 0 ? [] : ['', title, ...lines];
}

function withCode(message: string | undefined, code: string | undefined): string | undefined {
  if (message === undefined) return code;
  return code === undefined ? message : `${message} (${code})`;
}

function rollbackTypeText(type: RollbackType): string {
  return type === 'full'
    ? 'full (the application image is rolled back; database and infrastructure steps are advice below)'
    : `${type} (advice only: the service is left as it is)`;
}

function versionLines(state: Partial<RollbackState>): string[] {
  const from = fromRevision(state);
  const to = toRevision(state);
  const fromImages = imagesText(state.target?.current.images);
  const toImagesText = toImages(state);
  const reused = state.registration === undefined ? '' : state.registration.registered ? ' (new revision)' : ' (reused)';
  return [
    ...line('From', from === undefined ? undefined : `${from}${fromImages === '' ? '' : `  ${fromImages}`}`),
    ...line('To', to === undefined ? undefined : `${to}${reused}${toImagesText === '' ? '' : `  ${toImagesText}`}`),
  ];
}

function contextLines(state: Partial<RollbackState>): string[] {
  const { cluster, service } = serviceIdentity(state);
  const request = state.request;
  const where = [cluster === undefined ? undefined : `cluster ${cluster}`, request?.region].filter(Boolean).join(', ');
  const trigger = request?.trigger;
  return [
    ...line('Service', service === undefined ? undefined : `${service}${where === '' ? '' : ` (${where})`}`),
    ...line('Trigger', trigger === undefined ? undefined : `${withoutArns(trigger.summary)}${trigger.time ? ` at ${utc(trigger.time)}` : ''}`),
    ...line('Requested', request?.trigger.requestedBy),
    ...line('Reason', request?.reason),
    ...line(
      'Type',
      request === undefined || request.rollbackType === 'application' ? undefined : rollbackTypeText(request.rollbackType),
    ),
  ];
}

function decisionLines(state: Partial<RollbackState>): string[] {
  const message =
    state.request?.action === 'watch'
      ? withCode(state.request.actionMessage, state.request.actionReason)
      : withCode(state.target?.message, state.target?.reason);
  return line('Decision', message === undefined ? undefined : withoutArns(message));
}

function deploymentLines(state: Partial<RollbackState>): string[] {
  const deployment = state.deployment;
  const stability = state.stability;
  return [
    ...line(
      'Deployment',
      deployment === undefined
        ? undefined
        : `${deployment.deploymentId} of ${shortTaskDefinition(deployment.taskDefinitionArn)}, started ${utc(deployment.startedAt)}`,
    ),
    ...line(
      'Stability',
      stability === undefined
        ? undefined
        : `${stability.status}: ${withoutArns(stability.message)} (${stability.reason}, ${stability.checks} checks)`,
    ),
  ];
}

/** A stopped task of the failed version: the task-stop detector's evidence (`trigger.taskStops.stops`). */
export interface StoppedTaskEvidence {
  readonly taskId: string;
  /** ECS's `stoppedReason`. */
  readonly stoppedReason: string;
  readonly stopCode?: string;
  readonly exitCode?: number;
  readonly stoppedAt?: string;
}

interface TaskStopsLike {
  readonly taskDefinitionArn?: string;
  readonly stops?: readonly StoppedTaskEvidence[];
}

function taskStopsOf(state: Partial<RollbackState>): TaskStopsLike | undefined {
  const trigger = state.request?.trigger as { readonly taskStops?: TaskStopsLike } | undefined;
  return trigger?.taskStops;
}

function stoppedTasksOf(state: Partial<RollbackState>): readonly StoppedTaskEvidence[] {
  return taskStopsOf(state)?.stops ?? [];
}

/** The failed version: the revision being rolled back from, else the one whose tasks stopped. */
function failedVersion(state: Partial<RollbackState>): string | undefined {
  const arn = taskStopsOf(state)?.taskDefinitionArn;
  return fromRevision(state) ?? (arn === undefined ? undefined : shortTaskDefinition(arn));
}

function stoppedTaskText(task: StoppedTaskEvidence, version: string | undefined): string {
  const code = [task.stopCode, task.exitCode === undefined ? undefined : `exit ${task.exitCode}`].filter(Boolean);
  return `${version ?? 'task'} ${task.taskId}: "${withoutArns(task.stoppedReason)}"${code.length === 0 ? '' : ` (${code.join(', ')})`}${task.stoppedAt ? ` at ${utc(task.stoppedAt)}` : ''}`;
}

function stoppedLines(state: Partial<RollbackState>): string[] {
  const tasks = stoppedTasksOf(state);
  if (tasks.length === 0) return [];
  const version = failedVersion(state);
  const shown = tasks.slice(0, MAX_STOPPED_TASKS).map((task) => `  ${stoppedTaskText(task, version)}`);
  const more = tasks.length > MAX_STOPPED_TASKS ? [`  ... and ${tasks.length - MAX_STOPPED_TASKS} more`] : [];
  return section(`Why ${version ?? 'the failed version'}'s tasks stopped (ECS stoppedReason)`, [...shown, ...more]);
}

function healthLines(state: Partial<RollbackState>): string[] {
  const checks = state.health?.checks ?? [];
  return section(
    'Health checks',
    checks.map((c) => `  [${c.ok ? 'ok' : 'FAIL'}] ${c.kind} ${withoutArns(c.subject)}: ${withoutArns(c.detail)}`),
  );
}

function durationLines(state: Partial<RollbackState>, now: string): string[] {
  const total = rollbackDurationSeconds({ execution: state.execution } as Partial<RollbackState>, now);
  if (total === undefined) return [];
  const rows = [...phaseDurations(state), { phase: 'Total (until this message)', seconds: total }]
    .map((r) => ({ phase: r.phase, text: formatDuration(r.seconds) }))
    .filter((r): r is { phase: string; text: string } => r.text !== undefined);
  if (rows.length === 0) return [];
  const width = Math.max(...rows.map((r) => r.phase.length)) + 2;
  return section('Durations', rows.map((r) => `  ${r.phase.padEnd(width)}${r.text.padStart(10)}`));
}

/** The links of a notification, by label. */
function linkList(state: Partial<RollbackState>, options: MessageOptions): Array<readonly [string, string]> {
  const ecs = ecsUrls(state);
  const links: Array<readonly [string, string | undefined]> = [
    ['Service', ecs.service],
    ['Deployments', ecs.deployments],
    ['Console', executionConsoleUrl(state.execution?.id)],
    ['Logs', logsInsightsUrl(state, options.logGroupNames ?? [], options.now)],
  ];
  return links.filter((l): l is readonly [string, string] => l[1] !== undefined);
}

function linkLines(state: Partial<RollbackState>, options: MessageOptions): string[] {
  const executionName = state.execution?.id === undefined ? undefined : nameOfArn(state.execution.id);
  return section('Links', [
    ...line('Execution', executionName),
    ...linkList(state, options).map(([label, url]) => `  ${label.padEnd(LABEL_WIDTH)}${url}`),
  ]);
}

// ---------------------------------------------------------------------------------------------
// The four kinds

/** A kind's own part: subject, headline (what happened), the state now, the next steps, details. */
interface KindText {
  readonly subject: string;
  readonly headline: string;
  readonly now: string;
  readonly nextSteps: readonly string[];
  readonly details: readonly string[];
}

function servingText(state: Partial<RollbackState>, revision: string | undefined): string {
  const stability = state.stability;
  const counts = stability === undefined ? '' : ` at ${stability.runningCount}/${stability.desiredCount}`;
  const healthy = stability?.healthyTargets === undefined ? '' : `, ${stability.healthyTargets} healthy targets`;
  return `serving ${revision ?? 'the target revision'}${counts}${healthy}`;
}

function cooldownStep(state: Partial<RollbackState>, options: MessageOptions, service: string): string[] {
  const until = cooldownEnd(state, options);
  if (until === undefined) return [];
  return [`Cool-down in force until ${until}: alarms and failed deployments of ${service} only notify until then (a manual start still rolls back).`];
}

function stoppedStep(state: Partial<RollbackState>): string[] {
  const first = stoppedTasksOf(state)[0];
  const failed = failedVersion(state) ?? 'the failed version';
  if (first === undefined) return [`Find out why ${failed} failed before deploying it again: see the deployment and the logs below.`];
  return [`Find out why ${failed} failed before deploying it again: its tasks stopped with "${withoutArns(first.stoppedReason)}".`];
}

/**
 * For a task-stops trigger whose counted stops are all failed health checks: a dependency outage
 * (a database or downstream service down) stops tasks the same way, and then no version helps.
 */
export function dependencyCaveat(state: Partial<RollbackState>): string[] {
  const trigger = state.request?.trigger;
  const stops = trigger?.kind === 'task-stops' ? (trigger.taskStops?.stops ?? []) : [];
  if (!onlyHealthCheckStops(stops)) return [];
  const failed = failedVersion(state) ?? 'the new version';
  return [
    `A rollback may not help: every counted stop of ${failed} was a failed health check, which is also what a dependency outage ` +
      '(a database or downstream service down) looks like. If the earlier revision fails its health checks too, look outside the version.',
  ];
}

function command(text: string | undefined, purpose: string): string[] {
  return text === undefined ? [] : [`${purpose}:\n      ${text}`];
}

function successText(state: Partial<RollbackState>, service: string, options: MessageOptions): KindText {
  const to = toRevision(state);
  const watching = state.request?.action === 'watch';
  const recovery = timeToRecoveredSeconds(state);
  const recoveryText = recovery === undefined ? undefined : formatDuration(recovery);
  const older = revisionBefore(to);
  return {
    subject: watching
      ? `ECS rollback succeeded: ${service} -> ${to ?? '?'}`
      : `Rollback succeeded: ${service} ${fromRevision(state) ?? '?'} -> ${to ?? '?'}`,
    headline: watching
      ? `ECS rolled ${service} back to ${to ?? 'the previous revision'} and it is healthy.`
      : `Rollback succeeded: ${service} is back on ${to ?? 'the target revision'} and healthy.`,
    now: `Now: ${service} is ${servingText(state, to)}${recoveryText === undefined ? '' : `, recovered ${recoveryText} after the trigger`}.`,
    nextSteps: [
      ...dependencyCaveat(state),
      ...cooldownStep(state, options, service),
      ...stoppedStep(state),
      ...command(
        startCommand(state, options, older, `${to ?? 'the rollback revision'} misbehaves too`),
        `If ${to ?? 'it'} misbehaves too, roll back further${older === undefined ? '' : ` (to ${older})`}`,
      ),
    ],
    details: [],
  };
}

function skippedSteps(state: Partial<RollbackState>, options: MessageOptions, service: string, reason: string | undefined): string[] {
  if (reason === REASONS.ROLLBACK_IN_PROGRESS) {
    const holder = LOCK_HOLDER.exec(skipMessage(state) ?? '')?.[1];
    if (holder === undefined) return ['Another execution is rolling this service back: wait for its notification.'];
    return [
      `Execution ${nameOfArn(holder)} is rolling ${service} back; its notification follows. Follow it:\n      ecs-rollback status ${holder}`,
      `Or stop it (the service stays where that execution left it):\n      ecs-rollback abort ${holder}`,
    ];
  }
  if (reason === REASONS.DUPLICATE_TRIGGER) return ['Nothing to do: the first delivery of this event is being (or was) handled.'];
  if (reason === REASONS.ALREADY_ON_TARGET) return [`Nothing to do: ${service} already runs the version a rollback would deploy.`];
  const manual = startCommand(state, options, undefined, 'rolled back by hand after a skipped trigger');
  return [
    ...cooldownStep(state, options, service),
    ...(reason === REASONS.OWN_DEPLOYMENT_FAILED
      ? [`The rollback deployment itself failed: ${service} may be degraded. Check the service (link below).`]
      : []),
    ...command(manual === undefined ? undefined : `${manual} --dry-run`, 'To see what a rollback would do now'),
    ...command(manual, 'To roll back anyway (a person decides; the cool-down does not apply)'),
  ];
}

function skippedText(state: Partial<RollbackState>, service: string, options: MessageOptions): KindText {
  const reason = skipReason(state);
  const why = skipMessage(state);
  const current = fromRevision(state);
  return {
    subject: `Rollback skipped: ${service} (${reason ?? 'see message'})`,
    headline: `Rollback skipped for ${service}: nothing was changed.`,
    now: `Now: ${current === undefined ? `${service} is as it was` : `${service} still runs ${current}`}. Why: ${withoutArns(withCode(why, reason) ?? 'no reason recorded')}`,
    nextSteps: skippedSteps(state, options, service, reason),
    details: [],
  };
}

function dryRunText(state: Partial<RollbackState>, service: string, options: MessageOptions): KindText {
  const from = fromRevision(state) ?? 'the current revision';
  const to = toRevision(state) ?? 'the target';
  const target = state.target;
  const cluster = state.request?.cluster ?? UNKNOWN;
  const register =
    target?.taskDefinitionArn !== undefined
      ? `Deploy ${shortTaskDefinition(target.taskDefinitionArn)} as it is (no new registration)`
      : `Register a copy of ${from} with image ${toImages(state) || to}`;
  const probes = [
    state.request?.serviceConfig.targetGroupArn === undefined ? 'the service target groups' : nameOfArn(state.request.serviceConfig.targetGroupArn),
    state.request?.serviceConfig.healthCheckUrl !== undefined ? redactUrl(state.request.serviceConfig.healthCheckUrl) : undefined,
  ].filter(Boolean);
  const timeout = formatDuration(state.settings?.stabilizationTimeoutSeconds ?? 0);
  return {
    subject: `Rollback dry run: ${service} ${from} -> ${to}`,
    headline:
      state.request?.trigger.kind === 'task-stops' && state.request.trigger.taskStops?.notifyOnly === true
        ? `Notify-only: the task-stop detector counted ${stoppedTasksOf(state).length} tasks of ${failedVersion(state) ?? 'the new version'} that stopped because the version looks bad and would have rolled ${service} back; nothing was changed (taskStopDetector.notifyOnly).`
        : `Dry run: nothing was changed. This is what a rollback of ${service} would do.`,
    now: `Now: ${service} still runs ${from}; a rollback would deploy ${to}.`,
    nextSteps: [...dependencyCaveat(state), ...command(startCommand(state, options, toArgument(state), 'rollback after a dry run'), 'To do it')],
    details: section('Plan', [
      `  1. ${register}`,
      `  2. ${deployStep(state, service, cluster, from, to)}`,
      `  3. Wait until the new tasks are healthy${timeout === undefined ? '' : ` (timeout ${timeout})`}, then probe ${probes.join(' and ')}`,
    ]),
  };
}

/**
 * The plan's deploy step. The detector's start carries the deployment's rollout state when it
 * counted the K-th stop: still in flight, a real rollback uses ECS's own rollback of that deployment
 * (lambdas/core/native-rollback.ts decides at UpdateService, when it sees the deployment again).
 */
function deployStep(state: Partial<RollbackState>, service: string, cluster: string, from: string, to: string): string {
  const stops = state.request?.trigger.kind === 'task-stops' ? state.request.trigger.taskStops : undefined;
  if (stops?.rolloutState !== undefined && (STOPPABLE_STATUSES as readonly string[]).includes(stops.rolloutState)) {
    return (
      `StopServiceDeployment (ROLLBACK) ${service} in ${cluster}: its deployment ${stops.deploymentId} was still ${stops.rolloutState}, ` +
      `so ECS rolls it back to the revision it replaces (${to}); UpdateService ${from} -> ${to} instead if that deployment has ended by then`
    );
  }
  return `UpdateService ${service} in ${cluster}: ${from} -> ${to}`;
}

const STEPS_BEFORE_ANY_CHANGE = new Set(['Prepare', 'ResolveTarget', 'RegisterTaskDefinition']);

/**
 * The ending when UpdateService took effect and the step watching the deployment gave up on AWS or
 * runtime errors: the rollback is under way or done, this execution just could not confirm it.
 * Saying "failed" or "degraded" here would be untrue (the service may well be back and healthy).
 */
/** The "What failed" lines of a failure or unconfirmed notification: the step, the error, its message, what changed. */
function whatFailed(state: Partial<RollbackState>, step: string, errorName: string, changed: string): string[] {
  const failure: Partial<FailureRecord> = state.failure ?? {};
  const cause = parseCause(failure.cause);
  return [
    '',
    'What failed',
    ...line('Step', step),
    ...line('Error', failure.error === undefined || failure.error === errorName ? errorName : `${errorName} (${failure.error})`),
    ...line('Message', withoutArns(cause.errorMessage)),
    ...line('Changed', changed),
  ];
}

/** The call that made the rollback deployment: UpdateService, or StopServiceDeployment (ROLLBACK) for ECS's own rollback of the deployment in flight. */
function callOf(deployment: NonNullable<RollbackState['deployment']>): string {
  return deployment.method === 'stop-service-deployment' ? 'StopServiceDeployment (ROLLBACK)' : 'UpdateService';
}

function unconfirmedText(
  state: Partial<RollbackState>,
  name: string,
  step: string,
  errorName: string,
  deployment: NonNullable<RollbackState['deployment']>,
  changed: string,
  options: MessageOptions,
): KindText {
  const revision = shortTaskDefinition(deployment.taskDefinitionArn);
  const stability = state.stability;
  const seen = stability === undefined ? '' : ` When last seen: ${stability.runningCount}/${stability.desiredCount} running.`;
  return {
    subject: `Rollback unconfirmed at ${step}: ${name}`,
    headline: `Rollback of ${name} to ${revision} STARTED but NOT CONFIRMED: ${step} gave up on ${errorName}.`,
    now: `Now: ${callOf(deployment)} took effect (deployment ${deployment.deploymentId} of ${revision} is the service's latest) and ECS goes on with it by itself; this execution could not watch it to the end.${seen}`,
    nextSteps: [
      ...cooldownStep(state, options, name),
      `Look at deployment ${deployment.deploymentId} (links below): COMPLETED with its targets healthy means ${name} is back on ${revision} and nothing else is needed.`,
      `If it failed, roll back further by hand (ecs-rollback start) once ${errorName} has passed.`,
    ],
    details: whatFailed(state, step, errorName, changed),
  };
}

/** Steps that watch a rollback deployment UpdateService already started. */
const STEPS_WATCHING_THE_DEPLOYMENT = new Set(['CheckStability', 'ProbeHealth']);

/**
 * Errors that say nothing about the service, only that this execution could not look at it any
 * more: AWS kept throttling or failing, Lambda failed or the function died. Thrown by a watching
 * step after UpdateService took effect, the rollback is unconfirmed, not failed.
 */
const CANNOT_LOOK_ERROR_NAMES: ReadonlySet<string> = new Set(['TransientAwsError', 'ThrottledAwsError', ...LAMBDA_SERVICE_ERROR_NAMES, ...CRASH_ERROR_NAMES]);

/** Errors that mean the input itself cannot be acted on (anything else is AWS, a timeout or the runtime). */
const INPUT_ERROR_NAMES: ReadonlySet<string> = new Set(['ValidationError', 'ServiceNotFoundError', 'TargetNotFoundError']);

function failureText(state: Partial<RollbackState>, service: string | undefined, options: MessageOptions): KindText {
  const failure: Partial<FailureRecord> = state.failure ?? {};
  const step = failure.step ?? 'an unknown step';
  const cause = parseCause(failure.cause);
  const errorName = cause.errorType ?? failure.error ?? 'Error';
  const deployment = state.deployment;
  const watching = state.request?.action === 'watch';
  const name = service ?? 'the service';
  const changed =
    deployment !== undefined && watching
      ? `Nothing by this execution: ECS's own rollback deployment ${deployment.deploymentId} of ${shortTaskDefinition(deployment.taskDefinitionArn)} is the service's latest.`
      : deployment !== undefined
        ? `${callOf(deployment)} was called: deployment ${deployment.deploymentId} of ${shortTaskDefinition(deployment.taskDefinitionArn)} is the service's latest.`
        : STEPS_BEFORE_ANY_CHANGE.has(step)
          ? 'Nothing: the service was not updated.'
          : 'Unknown: check the service in the ECS console.';
  const inputExcerpt =
    state.request === undefined && state.input !== undefined ? JSON.stringify(state.input).slice(0, INPUT_EXCERPT_LENGTH) : undefined;
  const current = fromRevision(state);
  const stability = state.stability;
  const nowText =
    deployment === undefined
      ? STEPS_BEFORE_ANY_CHANGE.has(step)
        ? `Now: ${name} was not changed${current === undefined ? '' : ` and still runs ${current}`}.`
        : `Now: unknown; check ${name} in the ECS console.`
      : stability !== undefined && stability.runningCount >= stability.desiredCount && stability.status !== 'FAILED'
        ? `Now: ${name} is at ${stability.runningCount}/${stability.desiredCount} running, but the rollback did not prove healthy.`
        : `Now: service degraded: ${name}${stability === undefined ? '' : ` at ${stability.runningCount}/${stability.desiredCount} running`}, deployment ${deployment.deploymentId} of ${shortTaskDefinition(deployment.taskDefinitionArn)} is the latest.`;
  const to = toArgument(state);
  const older = revisionBefore(toRevision(state));
  const badInput = INPUT_ERROR_NAMES.has(errorName);
  if (deployment !== undefined && !watching && STEPS_WATCHING_THE_DEPLOYMENT.has(step) && (CANNOT_LOOK_ERROR_NAMES.has(errorName) || CANNOT_LOOK_ERROR_NAMES.has(failure.error ?? ''))) {
    return unconfirmedText(state, name, step, errorName, deployment, changed, options);
  }
  const retry = STEPS_BEFORE_ANY_CHANGE.has(step) && state.request !== undefined;
  return {
    subject: `Rollback failed at ${step}: ${service ?? errorName}`,
    headline:
      state.request === undefined
        ? badInput
          ? `Rollback failed at ${step}: the input could not be used, so nothing was done.`
          : `Rollback failed at ${step} on an AWS or runtime error (${errorName}), not on its input, so nothing was done; starting it again retries.`
        : `Rollback FAILED at ${step} for ${name}.`,
    now: nowText,
    nextSteps: [
      ...dependencyCaveat(state),
      ...cooldownStep(state, options, name),
      ...(state.request === undefined
        ? [
            badInput
              ? 'Fix the input (the message below names the field) and start again; automatic triggers are not affected.'
              : `Start it again once ${errorName} has passed (the message below says what failed)`,
          ]
        : []),
      ...(retry ? command(startCommand(state, options, to, `retry after ${errorName} at ${step}`), `Fix the cause (${errorName}) and retry`) : []),
      ...(deployment !== undefined
        ? [
            `Look at deployment ${deployment.deploymentId} and the stopped tasks (links below); ECS may still be replacing tasks.`,
            ...command(
              startCommand(state, options, older, `${toRevision(state) ?? 'rollback revision'} failed too`),
              `To roll back to an older revision${older === undefined ? '' : ` (${older})`}`,
            ),
          ]
        : []),
      ...(deployment === undefined ? stoppedStep(state).filter(() => stoppedTasksOf(state).length > 0) : []),
    ],
    details: [...whatFailed(state, step, errorName, changed), ...line('Input', inputExcerpt)],
  };
}

function adviceLines(advice: readonly string[] | undefined): string[] {
  return advice === undefined || advice.length === 0 ? [] : ['', 'Advice', ...advice];
}

function kindText(input: NotifyInput, state: Partial<RollbackState>, service: string | undefined, options: MessageOptions): KindText {
  const name = service ?? UNKNOWN;
  switch (input.kind) {
    case 'success':
      return successText(state, name, options);
    case 'skipped':
      return skippedText(state, name, options);
    case 'dry-run':
      return dryRunText(state, name, options);
    case 'failure':
      return failureText(state, service, options);
  }
}

function chatTitleIcon(kind: NotificationKind): string {
  return kind === 'success' ? ':white_check_mark:' : kind === 'failure' ? ':rotating_light:' : kind === 'skipped' ? ':pause_button:' : ':memo:';
}

/** The chat version: title, what happened and the state now, next steps (commands as code), links. */
function chatNotification(
  input: NotifyInput,
  state: Partial<RollbackState>,
  text: KindText,
  subject: string,
  attributes: NotificationAttributes,
  options: MessageOptions,
): ChatNotification {
  const links = linkList(state, options).map(([label, url]) => `${label}: ${url}`);
  const nextSteps = text.nextSteps.map((step) => step.replace(/:\n\s+(ecs-rollback .+)$/s, ': `$1`'));
  const executionArn = state.execution?.id;
  const serviceArn =
    state.request?.account !== undefined
      ? `arn:aws:ecs:${state.request.region}:${state.request.account}:service/${state.request.cluster}/${state.request.service}`
      : undefined;
  return {
    version: '1.0',
    source: 'custom',
    ...(executionArn === undefined ? {} : { id: nameOfArn(executionArn) }),
    content: {
      textType: 'client-markdown',
      title: `${chatTitleIcon(input.kind)} ${subject}`,
      description: [text.headline, text.now, ...links].join('\n'),
      nextSteps,
      keywords: [attributes.project, attributes.service, attributes.outcome, attributes.detail].filter((k, i, all) => k !== UNKNOWN && all.indexOf(k) === i),
    },
    metadata: {
      threadId: `${attributes.project}/${attributes.cluster}/${attributes.service}`,
      summary: subject,
      eventType: `Rollback${attributes.outcome}`,
      relatedResources: [executionArn, serviceArn].filter((r): r is string => r?.startsWith('arn:') === true),
      additionalContext: {
        cluster: attributes.cluster,
        service: attributes.service,
        trigger: attributes.trigger,
        ...(executionArn === undefined ? {} : { execution: nameOfArn(executionArn) }),
      },
    },
  };
}

/** Subject, body, chat message and attributes of the notification for `input.kind`. */
export function buildNotification(input: NotifyInput, options: MessageOptions): NotificationText {
  const state: Partial<RollbackState> = input.state ?? {};
  const { cluster, service } = serviceIdentity(state);
  const text = kindText(input, state, service, options);
  const prefix = options.projectName ? `[${options.projectName}] ` : '';
  const subject = sanitizeSubject(`${prefix}${text.subject}`);
  const ending = endingOf(input);
  const attributes: NotificationAttributes = {
    status: input.kind,
    outcome: ending.outcome,
    project: options.projectName ?? UNKNOWN,
    cluster: cluster ?? UNKNOWN,
    service: service ?? UNKNOWN,
    trigger: state.request?.trigger.kind ?? UNKNOWN,
    detail: ending.reason ?? ending.step ?? input.kind,
  };
  const body = [
    text.headline,
    text.now,
    ...section(
      'Next steps',
      text.nextSteps.map((step) => `  - ${step}`),
    ),
    ...text.details,
    ...section('Details', [...contextLines(state), ...versionLines(state), ...decisionLines(state), ...deploymentLines(state)]),
    ...stoppedLines(state),
    ...healthLines(state),
    ...durationLines(state, options.now),
    ...adviceLines(options.advice),
    ...linkLines(state, options),
    '',
    `Sent ${utc(options.now)} (times are UTC).`,
  ].join('\n');
  return { subject, body, chat: chatNotification(input, state, text, subject, attributes, options), attributes };
}
