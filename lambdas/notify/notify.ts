/** Notify: publish the outcome to SNS and count it as a CloudWatch metric. */
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { EarlierPublish, NotificationLog } from '../aws/notification-log';
import { publishMessage } from '../aws/sns';
import { logger } from '../shared/logger';
import { adviceFor, type DatabaseFinder } from '../core/advisory';
import { endingOf } from '../core/ending';
import { buildNotification, serviceIdentity } from '../core/message';
import { ConfigurationError, ValidationError } from '../shared/errors';
import { recordEnding } from './metrics';
import type { NotificationKind, NotificationResult, NotifyInput, RollbackRequest, RollbackState } from '../shared/types';

/** Settings from the environment. */
export interface NotifySettings {
  readonly topicArn?: string;
  readonly projectName?: string;
  /** COOLDOWN_MINUTES: the cool-down ReleaseLock starts after a rollback, to say when it ends. */
  readonly cooldownMinutes?: number;
  /** LOG_GROUP_NAMES (comma-separated) or AWS_LAMBDA_LOG_GROUP_NAME: the log groups the Logs Insights link queries. */
  readonly logGroupNames?: readonly string[];
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
  recordEnding(
    deps.metrics,
    { project: settings.projectName ?? 'unknown', ecsService: serviceIdentity(input.state).service ?? 'unknown' },
    endingOf(input),
  );
  return { kind: input.kind, subject: text.subject, messageId, sentAt, ...(repeated ? { repeated: true } : {}) };
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
