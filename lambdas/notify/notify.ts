/** Notify: publish the outcome to SNS and count it as a CloudWatch metric. */
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { DigestTable } from '../aws/digest-table';
import type { EarlierPublish, NotificationLog } from '../aws/notification-log';
import { publishMessage } from '../aws/sns';
import { logger } from '../shared/logger';
import { adviceFor, type DatabaseFinder } from '../core/advisory';
import { endingOf } from '../core/ending';
import {
  buildDigest,
  DEFAULT_DIGEST_IMMEDIATE,
  DEFAULT_DIGEST_WINDOW_MINUTES,
  digestEntry,
  isDigestible,
  modeOf,
  windowOf,
} from '../core/digest';
import { buildNotification, serviceIdentity } from '../core/message';
import { ConfigurationError, ValidationError } from '../shared/errors';
import { recordEnding } from './metrics';
import type { DigestResult, NotificationKind, NotificationResult, NotifyInput, RollbackRequest, RollbackState } from '../shared/types';

/** Settings from the environment. */
export interface NotifySettings {
  readonly topicArn?: string;
  readonly projectName?: string;
  /** COOLDOWN_MINUTES: the cool-down ReleaseLock starts after a rollback, to say when it ends. */
  readonly cooldownMinutes?: number;
  /** LOG_GROUP_NAMES (comma-separated) or AWS_LAMBDA_LOG_GROUP_NAME: the log groups the Logs Insights link queries. */
  readonly logGroupNames?: readonly string[];
  /** DIGEST_WINDOW_MINUTES: length of a digest window; 0 sends every ending on its own. */
  readonly digestWindowMinutes?: number;
  /** DIGEST_IMMEDIATE: endings of a window sent on their own before the rest is folded into the digest. */
  readonly digestImmediate?: number;
}

function wholeNumber(env: Readonly<Record<string, string | undefined>>, name: string, fallback: number, min: number, max: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigurationError(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return value;
}

/** Reads Notify's settings from the environment; a bad COOLDOWN_MINUTES names the variable. */
export function readNotifySettings(env: Readonly<Record<string, string | undefined>>): NotifySettings {
  const cooldown = env.COOLDOWN_MINUTES;
  if (cooldown !== undefined && cooldown !== '' && !(Number.isInteger(Number(cooldown)) && Number(cooldown) > 0)) {
    throw new ConfigurationError(`COOLDOWN_MINUTES must be a whole number of minutes above 0, got ${JSON.stringify(cooldown)}`);
  }
  // LOG_GROUP_NAMES when given, else Notify's own log group (Lambda sets AWS_LAMBDA_LOG_GROUP_NAME)
  const logGroups = (env.LOG_GROUP_NAMES || env.AWS_LAMBDA_LOG_GROUP_NAME || '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  return {
    ...(env.TOPIC_ARN ? { topicArn: env.TOPIC_ARN } : {}),
    ...(env.PROJECT_NAME ? { projectName: env.PROJECT_NAME } : {}),
    ...(cooldown ? { cooldownMinutes: Number(cooldown) } : {}),
    ...(logGroups.length > 0 ? { logGroupNames: logGroups } : {}),
    // at most the window the state machine's TimeoutSeconds allows for (lib/execution-budget.ts)
    digestWindowMinutes: wholeNumber(env, 'DIGEST_WINDOW_MINUTES', DEFAULT_DIGEST_WINDOW_MINUTES, 0, DEFAULT_DIGEST_WINDOW_MINUTES),
    digestImmediate: wholeNumber(env, 'DIGEST_IMMEDIATE', DEFAULT_DIGEST_IMMEDIATE, 1, 1000),
  };
}

/** Client, RDS look-up, metrics and clock, replaceable in tests. */
export interface NotifyDeps {
  readonly sns: () => SNSClient;
  /** Finds the project's DB instances and their snapshots for the database advice (findDatabaseSnapshots). */
  readonly findDatabases: DatabaseFinder;
  readonly metrics: Metrics;
  readonly now: () => Date;
  /** What earlier attempts of this execution published (the state table); without it every attempt publishes. */
  readonly notificationLog?: NotificationLog;
  /** The digest windows (the state table); without it every ending is sent on its own. */
  readonly digests?: DigestTable;
}

/** The line added to a message published again after an earlier Publish got no answer. */
export const REPEATED_NOTE =
  'Note: an earlier attempt to publish this message got no answer from SNS, so it was published again; you may receive it twice.';

const KINDS: ReadonlySet<string> = new Set<NotificationKind>(['success', 'skipped', 'dry-run', 'failure']);

/** Narrows Notify's event {kind, state}; the state may be partial (e.g. Prepare failed). */
export function narrowNotifyInput(event: unknown): NotifyInput {
  const record = typeof event === 'object' && event !== null ? (event as Record<string, unknown>) : {};
  if (typeof record.kind !== 'string' || !KINDS.has(record.kind)) {
    throw new ValidationError('kind', `must be one of ${[...KINDS].join(', ')}`);
  }
  const state = typeof record.state === 'object' && record.state !== null ? record.state : {};
  return { kind: record.kind as NotificationKind, state: state as RollbackState };
}

/** The project the advice is about: PROJECT_NAME, else the cluster name before "-cluster", else the service name. */
export function adviceProject(projectName: string | undefined, request: Pick<RollbackRequest, 'cluster' | 'service'>): string {
  if (projectName !== undefined && projectName !== '') return projectName;
  const prefix = request.cluster.endsWith('-cluster') ? request.cluster.slice(0, -'-cluster'.length) : '';
  return prefix !== '' ? prefix : request.service;
}

/** The advisory lines for the request's rollback type (none for application or without a request). */
async function adviceLines(state: RollbackState, settings: NotifySettings, deps: NotifyDeps): Promise<string[]> {
  const request = state.request;
  if (request?.trigger === undefined || typeof request.cluster !== 'string' || typeof request.service !== 'string') return [];
  return adviceFor(request, { project: adviceProject(settings.projectName, request), findDatabases: deps.findDatabases });
}

/**
 * True for a self-test (`ecs-rollback selftest`): the request says so, or, when Prepare failed
 * before making one, the execution's input is a dry run marked selftest.
 */
export function isSelftest(state: Partial<RollbackState>): boolean {
  if (state.request !== undefined) return state.request.selftest === true;
  const input = state.input as { dryRun?: unknown; selftest?: unknown } | undefined;
  return typeof input === 'object' && input !== null && input.selftest === true && input.dryRun === true;
}

/** Publishes the notification, then counts the ending (and the time to recovered on success). */
export async function notify(input: NotifyInput, settings: NotifySettings, deps: NotifyDeps): Promise<NotificationResult> {
  if (settings.topicArn === undefined || settings.topicArn === '') {
    throw new ConfigurationError('TOPIC_ARN is not set');
  }
  if (isSelftest(input.state)) {
    // A self-test (ecs-rollback selftest) reads its plan from the execution: no message to people, no metrics.
    const sentAt = deps.now().toISOString();
    const text = buildNotification(input, { now: sentAt, ...(settings.projectName ? { projectName: settings.projectName } : {}), advice: [] });
    return { kind: input.kind, subject: text.subject, sentAt };
  }
  const executionId = input.state.execution?.id;
  const log = executionId === undefined || executionId === '' ? undefined : deps.notificationLog;
  const earlier: EarlierPublish =
    log === undefined ? { status: 'none' } : await bestEffort('read', () => log.earlier(executionId as string, input.kind), { status: 'none' });
  if (earlier.status === 'published') {
    return { kind: input.kind, subject: earlier.subject, messageId: earlier.messageId, sentAt: earlier.sentAt, publishedBefore: true };
  }
  const repeated = earlier.status === 'unknown';
  const sentAt = deps.now().toISOString();
  const advice = await adviceLines(input.state, settings, deps);
  const text = buildNotification(input, {
    now: sentAt,
    ...(settings.projectName ? { projectName: settings.projectName } : {}),
    ...(settings.cooldownMinutes === undefined ? {} : { cooldownMinutes: settings.cooldownMinutes }),
    ...(settings.logGroupNames === undefined ? {} : { logGroupNames: settings.logGroupNames }),
    advice,
  });
  const deferred = earlier.status === 'none' ? await deferToDigest(input, text, settings, deps, sentAt) : undefined;
  if (deferred !== undefined) {
    countEnding(input, settings, deps);
    logger.info('ending folded into the digest of its window', { deferred });
    return { kind: input.kind, subject: text.subject, sentAt, deferred };
  }
  const body = repeated ? `${text.body}\n\n${REPEATED_NOTE}` : text.body;
  const chat = repeated ? { ...text.chat, content: { ...text.chat.content, description: `${text.chat.content.description}\n${REPEATED_NOTE}` } } : text.chat;
  const attempt = earlier.status === 'unknown' ? earlier.attempts + 1 : 1;
  if (log !== undefined) await bestEffort('write', () => log.publishing(executionId as string, input.kind, attempt), undefined);
  let messageId: string;
  try {
    messageId = await publishMessage(
      { topicArn: settings.topicArn, subject: text.subject, body, https: JSON.stringify(chat), attributes: { ...text.attributes } },
      deps.sns(),
    );
  } catch (error) {
    // SNS answered with an error: it did not take the message, so a retry publishes the first copy.
    if (log !== undefined && answeredBySns(error)) await bestEffort('write', () => log.notPublished(executionId as string, input.kind), undefined);
    throw error;
  }
  if (log !== undefined) {
    await bestEffort('write', () => log.published(executionId as string, input.kind, { messageId, subject: text.subject, sentAt }), undefined);
  }
  countEnding(input, settings, deps);
  return { kind: input.kind, subject: text.subject, messageId, sentAt, ...(repeated ? { repeated: true } : {}) };
}

function countEnding(input: NotifyInput, settings: NotifySettings, deps: NotifyDeps): void {
  recordEnding(
    deps.metrics,
    { project: settings.projectName ?? 'unknown', ecsService: serviceIdentity(input.state).service ?? 'unknown' },
    endingOf(input),
  );
}

/**
 * Records a digestible ending in its window; returns where it waits when it is past the window's
 * first `digestImmediate` endings. Sends it on its own (undefined) when the digest is off, the
 * ending is not digestible, the window's digest is already going out, or the table cannot be used.
 */
async function deferToDigest(
  input: NotifyInput,
  text: ReturnType<typeof buildNotification>,
  settings: NotifySettings,
  deps: NotifyDeps,
  recordedAt: string,
): Promise<NotificationResult['deferred']> {
  const executionId = input.state.execution?.id;
  const minutes = settings.digestWindowMinutes ?? DEFAULT_DIGEST_WINDOW_MINUTES;
  const immediate = settings.digestImmediate ?? DEFAULT_DIGEST_IMMEDIATE;
  if (deps.digests === undefined || minutes === 0 || executionId === undefined || executionId === '' || !isDigestible(input)) {
    return undefined;
  }
  const project = settings.projectName ?? 'unknown';
  const window = windowOf(deps.now(), minutes);
  const entry = digestEntry(input, text, { executionId, recordedAt, ...(settings.projectName ? { projectName: settings.projectName } : {}) });
  let recorded: Awaited<ReturnType<DigestTable['record']>>;
  try {
    recorded = await deps.digests.record(project, executionId, window.start, entry);
  } catch (error) {
    logger.warn('could not record the ending for the digest; sending it on its own', { error });
    return undefined;
  }
  if (recorded.status !== 'recorded' || modeOf(recorded.position, immediate) === 'immediate') return undefined;
  // WaitForDigest's TimestampPath: RFC 3339 with T and Z; Step Functions truncates milliseconds anyway
  // (https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html)
  const dueAt = new Date(Date.parse(recorded.windowStart) + minutes * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { windowStart: recorded.windowStart, dueAt, position: recorded.position };
}

/**
 * SendDigest (after WaitForDigest, at the window's end): the first execution of the window to get
 * here closes it and publishes the digest of every ending past the first `digestImmediate`, in
 * parts when it does not fit one Publish; the others find it sent. A retry resumes after the
 * parts already published.
 */
export async function sendDigest(state: RollbackState, settings: NotifySettings, deps: NotifyDeps): Promise<DigestResult> {
  if (settings.topicArn === undefined || settings.topicArn === '') throw new ConfigurationError('TOPIC_ARN is not set');
  if (deps.digests === undefined) throw new ConfigurationError('STATE_TABLE_NAME is not set: no digest to send');
  const deferred = state.notification?.deferred;
  const executionId = state.execution?.id;
  if (deferred === undefined || executionId === undefined) {
    throw new ValidationError('state.notification.deferred', 'is missing: this execution has no ending waiting for a digest');
  }
  const project = settings.projectName ?? 'unknown';
  const closed = await deps.digests.close(project, deferred.windowStart, executionId);
  if (closed.status === 'other-sender') return { sent: false, sentBy: closed.closedBy };
  const immediate = settings.digestImmediate ?? DEFAULT_DIGEST_IMMEDIATE;
  const folded = closed.entries.filter((entry) => modeOf(entry.position, immediate) === 'digest');
  const parts = buildDigest(folded, {
    ...(settings.projectName ? { projectName: settings.projectName } : {}),
    window: { start: deferred.windowStart, end: deferred.dueAt },
    immediate,
    now: deps.now().toISOString(),
  });
  const messageIds: string[] = [];
  for (const [index, part] of parts.entries()) {
    if (index < closed.sentParts) continue;
    messageIds.push(
      await publishMessage(
        { topicArn: settings.topicArn, subject: part.subject, body: part.body, https: JSON.stringify(part.chat), attributes: part.attributes },
        deps.sns(),
      ),
    );
    await deps.digests.partSent(project, deferred.windowStart, index + 1);
  }
  return { sent: true, endings: folded.length, subjects: parts.map((p) => p.subject), messageIds };
}

/** True when the error is SNS's answer (it has an HTTP status), not a lost connection or a timeout. */
function answeredBySns(error: unknown): boolean {
  const cause = (error as { cause?: { $metadata?: { httpStatusCode?: number } } } | null)?.cause;
  return typeof cause?.$metadata?.httpStatusCode === 'number';
}

/**
 * The record of published notifications must never keep a message from going out: when the state
 * table cannot be read or written, Notify publishes as if there were no record (logged).
 */
async function bestEffort<T>(what: 'read' | 'write', call: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await call();
  } catch (error) {
    logger.warn(`could not ${what} the record of published notifications; publishing without it`, { error });
    return fallback;
  }
}
