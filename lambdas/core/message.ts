/**
 * Notification text, pure: the SNS subject, the body a person reads at a glance, and the
 * message attributes subscription filters use, for every outcome of an execution.
 */
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
import { shortTaskDefinition } from './stability';
import { redactUrl } from './url-safety';

/** What Notify publishes. */
export interface NotificationText {
  readonly subject: string;
  readonly body: string;
  /** String message attributes: status (the kind), cluster, service ("unknown" when absent). */
  readonly attributes: { readonly status: NotificationKind; readonly cluster: string; readonly service: string };
}

/** Options that do not come from the state. */
export interface MessageOptions {
  /** Prefix of the subject, e.g. "[riderapp]". */
  readonly projectName?: string;
  /** When the notification is built (ISO-8601). */
  readonly now: string;
  /** Advice lines for the rollback type (lambdas/core/advisory.ts), shown under "Advice". */
  readonly advice?: readonly string[];
}

/** SNS's limit is < 100 characters. */
export const MAX_SUBJECT_LENGTH = 99;
const UNKNOWN = 'unknown';
const INPUT_EXCERPT_LENGTH = 1000;

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

/** The Step Functions console page of an execution ARN; undefined when the id is not an ARN. */
export function executionConsoleUrl(executionArn: string | undefined): string | undefined {
  const parts = executionArn?.split(':') ?? [];
  if (parts.length < 7 || parts[0] !== 'arn' || parts[2] !== 'states' || parts[5] !== 'execution') return undefined;
  const partition = parts[1];
  const region = parts[3] ?? '';
  const host =
    partition === 'aws-cn'
      ? 'console.amazonaws.cn'
      : partition === 'aws-us-gov'
        ? 'console.amazonaws-us-gov.com'
        : `${region}.console.aws.amazon.com`;
  return `https://${host}/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

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

const formatSeconds = (seconds: number): string => `${Math.round(seconds)} s`;

function imagesText(images: readonly ContainerImage[] | undefined): string {
  if (images === undefined || images.length === 0) return '';
  if (images.length === 1) return images[0]?.image ?? '';
  return images.map((i) => `${i.containerName}=${i.image}`).join(', ');
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
  return image.digest === undefined ? image.repositoryUri : `${image.repositoryUri.split('/').pop()}@${image.digest}`;
}

function toImages(state: Partial<RollbackState>): string {
  if (state.registration !== undefined) return imagesText(state.registration.images);
  const image = state.target?.image;
  if (image === undefined) return '';
  if (image.digest !== undefined) return `${image.repositoryUri}@${image.digest}`;
  return image.tag === undefined ? image.repositoryUri : `${image.repositoryUri}:${image.tag}`;
}

const LABEL_WIDTH = 12;

function line(label: string, value: string | undefined): string[] {
  if (value === undefined || value === '') return [];
  return [`${label.padEnd(LABEL_WIDTH)}${value}`];
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
  return [
    ...line('Service', service === undefined ? undefined : `${service}${where === '' ? '' : ` (${where})`}`),
    ...line('Trigger', request?.trigger.summary),
    ...line('Requested', request?.trigger.requestedBy),
    ...line('Reason', request?.reason),
    ...line(
      'Type',
      request === undefined || request.rollbackType === 'application' ? undefined : rollbackTypeText(request.rollbackType),
    ),
  ];
}

function rollbackTypeText(type: RollbackType): string {
  return type === 'full'
    ? 'full (the application image is rolled back; database and infrastructure steps are advice below)'
    : `${type} (advice only: the service is left as it is)`;
}

function decisionLine(state: Partial<RollbackState>): string[] {
  if (state.request?.action === 'watch') {
    return line('Decision', withCode(state.request.actionMessage, state.request.actionReason));
  }
  return line('Decision', withCode(state.target?.message, state.target?.reason));
}

function withCode(message: string | undefined, code: string | undefined): string | undefined {
  if (message === undefined) return code;
  return code === undefined ? message : `${message} (${code})`;
}

function outcomeLines(state: Partial<RollbackState>): string[] {
  const deployment = state.deployment;
  const stability = state.stability;
  return [
    ...line(
      'Deployment',
      deployment === undefined
        ? undefined
        : `${deployment.deploymentId} of ${shortTaskDefinition(deployment.taskDefinitionArn)}, started ${deployment.startedAt}`,
    ),
    ...line(
      'Stability',
      stability === undefined
        ? undefined
        : `${stability.status}: ${stability.message} (${stability.reason}, ${stability.checks} checks)`,
    ),
  ];
}

function healthLines(state: Partial<RollbackState>): string[] {
  const checks = state.health?.checks ?? [];
  if (checks.length === 0) return [];
  return ['', 'Health checks', ...checks.map((c) => `  [${c.ok ? 'ok' : 'FAIL'}] ${c.kind} ${c.subject}: ${c.detail}`)];
}

function durationLines(state: Partial<RollbackState>, now: string): string[] {
  const total = rollbackDurationSeconds({ execution: state.execution } as Partial<RollbackState>, now);
  if (total === undefined) return [];
  const rows = [...phaseDurations(state), { phase: 'Total (until this message)', seconds: total }];
  const width = Math.max(...rows.map((r) => r.phase.length)) + 2;
  return ['', 'Durations', ...rows.map((r) => `  ${r.phase.padEnd(width)}${formatSeconds(r.seconds).padStart(7)}`)];
}

function footerLines(state: Partial<RollbackState>): string[] {
  const executionId = state.execution?.id;
  return ['', ...line('Execution', executionId), ...line('Console', executionConsoleUrl(executionId))];
}

function successText(state: Partial<RollbackState>, service: string, now: string) {
  const to = toRevision(state) ?? 'the target revision';
  const watching = state.request?.action === 'watch';
  const recovery = rollbackDurationSeconds(state, now);
  const headline = watching
    ? `ECS rolled ${service} back to ${to} and it is healthy.`
    : `Rollback succeeded: ${service} is back on ${to} and healthy.`;
  const subject = watching
    ? `ECS rollback succeeded: ${service} -> ${to}`
    : `Rollback succeeded: ${service} ${fromRevision(state) ?? '?'} -> ${to}`;
  const body = [
    headline,
    '',
    ...contextLines(state),
    ...versionLines(state),
    ...decisionLine(state),
    ...outcomeLines(state),
    ...line('Recovered', recovery === undefined ? undefined : `${formatSeconds(recovery)} after the execution started`),
    ...healthLines(state),
    ...durationLines(state, now),
  ];
  return { subject, body };
}

function skippedText(state: Partial<RollbackState>, service: string, now: string) {
  const request = state.request;
  const bySkipAction = request?.action === 'skip';
  const why = bySkipAction ? request?.actionMessage : state.target?.message;
  const code = bySkipAction ? request?.actionReason : state.target?.reason;
  const current = fromRevision(state);
  const body = [
    `Rollback skipped for ${service}: nothing was changed.`,
    '',
    ...line('Why', withCode(why, code) ?? 'no reason recorded'),
    ...contextLines(state),
    ...line('Current', current === undefined ? undefined : `${current}  ${imagesText(state.target?.current.images)}`.trim()),
    ...durationLines(state, now),
  ];
  return { subject: `Rollback skipped: ${service} (${code ?? 'see message'})`, body };
}

function dryRunText(state: Partial<RollbackState>, service: string, now: string) {
  const from = fromRevision(state) ?? 'the current revision';
  const to = toRevision(state) ?? 'the target';
  const target = state.target;
  const cluster = state.request?.cluster ?? UNKNOWN;
  const register =
    target?.taskDefinitionArn !== undefined
      ? `Deploy ${shortTaskDefinition(target.taskDefinitionArn)} as it is (no new registration)`
      : `Register a copy of ${from} with image ${toImages(state) || to}`;
  const probes = [
    state.request?.serviceConfig.targetGroupArn ?? 'the service target groups',
    state.request?.serviceConfig.healthCheckUrl !== undefined ? redactUrl(state.request.serviceConfig.healthCheckUrl) : undefined,
  ].filter(Boolean);
  const body = [
    `Dry run: nothing was changed. This is what a rollback of ${service} would do.`,
    '',
    'Plan',
    `  1. ${register}`,
    `  2. UpdateService ${service} in ${cluster}: ${from} -> ${to}`,
    `  3. Wait until the new tasks are healthy (timeout ${state.settings?.stabilizationTimeoutSeconds ?? '?'} s), then probe ${probes.join(' and ')}`,
    '',
    ...contextLines(state),
    ...versionLines(state),
    ...decisionLine(state),
    ...durationLines(state, now),
  ];
  return { subject: `Rollback dry run: ${service} ${from} -> ${to}`, body };
}

const STEPS_BEFORE_ANY_CHANGE = new Set(['Prepare', 'ResolveTarget', 'RegisterTaskDefinition']);

function failureText(state: Partial<RollbackState>, service: string | undefined, now: string) {
  const failure: Partial<FailureRecord> = state.failure ?? {};
  const step = failure.step ?? 'an unknown step';
  const cause = parseCause(failure.cause);
  const errorName = cause.errorType ?? failure.error ?? 'Error';
  const deployment = state.deployment;
  const changed =
    deployment !== undefined && state.request?.action === 'watch'
      ? `Nothing by this execution: ECS's own rollback deployment ${deployment.deploymentId} of ${shortTaskDefinition(deployment.taskDefinitionArn)} is the service's latest; check the service in the ECS console.`
      : deployment !== undefined
      ? `UpdateService was called: deployment ${deployment.deploymentId} of ${shortTaskDefinition(deployment.taskDefinitionArn)} is the service's latest; check the service in the ECS console.`
      : STEPS_BEFORE_ANY_CHANGE.has(step)
        ? 'Nothing: the service was not updated.'
        : 'Unknown: check the service in the ECS console.';
  const inputExcerpt =
    state.request === undefined && state.input !== undefined
      ? JSON.stringify(state.input).slice(0, INPUT_EXCERPT_LENGTH)
      : undefined;
  const headline =
    state.request === undefined
      ? `Rollback failed at ${step}: the input could not be used, so nothing was done.`
      : `Rollback FAILED at ${step} for ${service ?? 'the service'}.`;
  const body = [
    headline,
    '',
    ...line('Step', step),
    ...line('Error', failure.error === undefined || failure.error === errorName ? errorName : `${errorName} (${failure.error})`),
    ...line('Message', cause.errorMessage),
    ...line('Changed', changed),
    '',
    ...contextLines(state),
    ...versionLines(state),
    ...decisionLine(state),
    ...outcomeLines(state),
    ...healthLines(state),
    ...line('Input', inputExcerpt),
    ...durationLines(state, now),
  ];
  const what = service ?? errorName;
  return { subject: `Rollback failed at ${step}: ${what}`, body };
}

function adviceLines(advice: readonly string[] | undefined): string[] {
  return advice === undefined || advice.length === 0 ? [] : ['', 'Advice', ...advice];
}

/** Subject, body and attributes of the notification for `input.kind`. */
export function buildNotification(input: NotifyInput, options: MessageOptions): NotificationText {
  const state: Partial<RollbackState> = input.state ?? {};
  const { cluster, service } = serviceIdentity(state);
  const name = service ?? UNKNOWN;
  const text =
    input.kind === 'success'
      ? successText(state, name, options.now)
      : input.kind === 'skipped'
        ? skippedText(state, name, options.now)
        : input.kind === 'dry-run'
          ? dryRunText(state, name, options.now)
          : failureText(state, service, options.now);
  const prefix = options.projectName ? `[${options.projectName}] ` : '';
  return {
    subject: sanitizeSubject(`${prefix}${text.subject}`),
    body: [...text.body, ...adviceLines(options.advice), ...footerLines(state)].join('\n'),
    attributes: { status: input.kind, cluster: cluster ?? UNKNOWN, service: name },
  };
}
