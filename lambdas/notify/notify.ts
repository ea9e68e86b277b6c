/** Notify: publish the outcome to SNS and count it as a CloudWatch metric. */
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { SNSClient } from '@aws-sdk/client-sns';
import { publishMessage } from '../aws/sns';
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
}

/** Client, RDS look-up, metrics and clock, replaceable in tests. */
export interface NotifyDeps {
  readonly sns: () => SNSClient;
  /** Finds the project's DB instances and their snapshots for the database advice (findDatabaseSnapshots). */
  readonly findDatabases: DatabaseFinder;
  readonly metrics: Metrics;
  readonly now: () => Date;
}

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

/** Publishes the notification, then counts the ending (and the time to recovered on success). */
export async function notify(input: NotifyInput, settings: NotifySettings, deps: NotifyDeps): Promise<NotificationResult> {
  if (settings.topicArn === undefined || settings.topicArn === '') {
    throw new ConfigurationError('TOPIC_ARN is not set');
  }
  const sentAt = deps.now().toISOString();
  const advice = await adviceLines(input.state, settings, deps);
  const text = buildNotification(input, {
    now: sentAt,
    ...(settings.projectName ? { projectName: settings.projectName } : {}),
    advice,
  });
  const messageId = await publishMessage(
    { topicArn: settings.topicArn, subject: text.subject, body: text.body, attributes: text.attributes },
    deps.sns(),
  );
  recordEnding(
    deps.metrics,
    { project: settings.projectName ?? 'unknown', ecsService: serviceIdentity(input.state).service ?? 'unknown' },
    endingOf(input),
  );
  return { kind: input.kind, subject: text.subject, messageId, sentAt };
}
