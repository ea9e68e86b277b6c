/**
 * The notification digest, pure: when many services of a project roll back within minutes (a shared
 * dependency failing), people get the first endings of a window one by one and the rest in one digest
 * published at the window's end, instead of one email per service. Every ending appears in exactly
 * one message to people: its own, or one part of the digest.
 *
 * Windows are fixed, aligned to the epoch (`windowMinutes` long), and counted per project; an ending
 * belongs to the window in which Notify first recorded it (a retried Notify keeps that window).
 * Dry runs and manual starts always go out at once (a person asked for them) and are not counted.
 */
import type { Outcome } from '../shared/metrics';
import type { NotificationKind, NotifyInput } from '../shared/types';
import { executionConsoleUrl, MAX_SUBJECT_LENGTH, type NotificationText, sanitizeSubject, utc } from './message';

/** Length of a digest window: as AWS User Notifications' SHORT aggregation, 5 minutes (https://docs.aws.amazon.com/notifications/latest/APIReference/API_UpdateNotificationConfiguration.html). */
export const DEFAULT_DIGEST_WINDOW_MINUTES = 5;
/** Endings of a window sent one by one before the rest is folded into the digest. */
export const DEFAULT_DIGEST_IMMEDIATE = 2;
/**
 * Budget of one digest Publish (its JSON with the email and chat texts, and the attributes): SNS's
 * limit is 256 KiB, 262,144 bytes (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html); the
 * rest is headroom for the subject and the JSON envelope. A longer digest is published in parts.
 */
export const DIGEST_PART_BUDGET_BYTES = 200 * 1024;

/** A digest window of one project. */
export interface DigestWindow {
  /** ISO start, inclusive: also the window's id. */
  readonly start: string;
  /** ISO end, exclusive: when the digest is published. */
  readonly end: string;
}

/** The window `now` falls in. */
export function windowOf(now: Date, windowMinutes: number): DigestWindow {
  const length = windowMinutes * 60_000;
  const start = Math.floor(now.getTime() / length) * length;
  return { start: new Date(start).toISOString(), end: new Date(start + length).toISOString() };
}

/** True when the ending may be folded into a digest: not a dry run, not a manual start. */
export function isDigestible(input: NotifyInput): boolean {
  return input.kind !== 'dry-run' && input.state?.request?.trigger?.kind !== 'manual';
}

/** How an ending is told: on its own now, or in the window's digest. */
export type DigestMode = 'immediate' | 'digest';

/** The `position`-th ending of its window (from 1) is told on its own while within `immediate`. */
export function modeOf(position: number, immediate: number): DigestMode {
  return position <= immediate ? 'immediate' : 'digest';
}

/** One ending as the digest tells it: a few lines from its own notification, and what filters read. */
export interface DigestEntry {
  readonly executionId: string;
  /** Its order in the window (from 1). */
  readonly position: number;
  readonly kind: NotificationKind;
  /** Its own subject, without the project prefix. */
  readonly subject: string;
  /** What happened, and the state now (the first two lines of its own body). */
  readonly summary: readonly string[];
  /** Its first next step. */
  readonly nextStep?: string;
  readonly executionUrl?: string;
  readonly cluster: string;
  readonly service: string;
  readonly outcome: Outcome;
  readonly trigger: string;
  readonly detail: string;
  /** When Notify recorded it (ISO). */
  readonly recordedAt: string;
}

/** The digest entry of an ending, from the notification Notify built for it. */
export function digestEntry(
  input: NotifyInput,
  text: NotificationText,
  context: { readonly executionId: string; readonly projectName?: string; readonly recordedAt: string },
): Omit<DigestEntry, 'position'> {
  const prefix = context.projectName ? `[${context.projectName}] ` : '';
  const subject = text.subject.startsWith(prefix) ? text.subject.slice(prefix.length) : text.subject;
  const nextStep = text.chat.content.nextSteps[0];
  const executionUrl = executionConsoleUrl(context.executionId);
  return {
    executionId: context.executionId,
    kind: input.kind,
    subject,
    summary: text.body.split('\n').slice(0, 2).filter((line) => line.trim() !== ''),
    ...(nextStep === undefined ? {} : { nextStep }),
    ...(executionUrl === undefined ? {} : { executionUrl }),
    cluster: text.attributes.cluster,
    service: text.attributes.service,
    outcome: text.attributes.outcome,
    trigger: text.attributes.trigger,
    detail: text.attributes.detail,
    recordedAt: context.recordedAt,
  };
}

/** One digest message (a part when the digest does not fit one Publish). */
export interface DigestMessage {
  readonly subject: string;
  readonly body: string;
  /** Amazon Q Developer in chat applications custom notification (https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html). */
  readonly chat: {
    readonly version: '1.0';
    readonly source: 'custom';
    readonly id: string;
    readonly content: { readonly textType: 'client-markdown'; readonly title: string; readonly description: string; readonly nextSteps: readonly string[]; readonly keywords: readonly string[] };
    readonly metadata: { readonly threadId: string; readonly summary: string; readonly eventType: string };
  };
  /**
   * SNS attributes: `project` and `digest` (the number of endings in this message) as String; the
   * per-ending ones (`status`, `outcome`, `cluster`, `service`, `trigger`, `detail`) as String.Array
   * in the same order, so a filter policy on a service or a status matches a digest that holds it.
   */
  readonly attributes: { readonly [name: string]: string | readonly string[] };
}

const COUNT_WORDS: Readonly<Record<NotificationKind, string>> = { success: 'rolled back', failure: 'failed', skipped: 'skipped', 'dry-run': 'dry run' };

/** "12 rolled back, 2 failed, 1 skipped". */
function countLine(entries: readonly DigestEntry[]): string {
  const counts = new Map<NotificationKind, number>();
  for (const entry of entries) counts.set(entry.kind, (counts.get(entry.kind) ?? 0) + 1);
  const order: NotificationKind[] = ['failure', 'success', 'skipped', 'dry-run'];
  return order
    .filter((kind) => counts.has(kind))
    .map((kind) => `${counts.get(kind)} ${COUNT_WORDS[kind]}`)
    .join(', ');
}

function entryLines(entry: DigestEntry, index: number): string[] {
  return [
    `${index}. ${entry.subject}`,
    ...entry.summary.map((line) => `   ${line}`),
    ...(entry.nextStep === undefined ? [] : [`   Next: ${entry.nextStep.replace(/\n\s*/g, ' ')}`]),
    ...(entry.executionUrl === undefined ? [] : [`   Execution: ${entry.executionUrl}`]),
  ];
}

/**
 * The digest of a window's folded endings (ordered by position), split into parts that each fit
 * one Publish. Every entry is in exactly one part.
 */
export function buildDigest(
  entries: readonly DigestEntry[],
  context: { readonly projectName?: string; readonly window: DigestWindow; readonly immediate: number; readonly now: string; readonly budgetBytes?: number },
): DigestMessage[] {
  const sorted = [...entries].sort((a, b) => a.position - b.position);
  const budget = context.budgetBytes ?? DIGEST_PART_BUDGET_BYTES;
  const parts: DigestEntry[][] = [];
  let current: DigestEntry[] = [];
  let size = 0;
  for (const entry of sorted) {
    // the body, the chat copy and the attributes each carry the entry once: about three times its text
    const cost = 3 * Buffer.byteLength(JSON.stringify(entry), 'utf8');
    if (current.length > 0 && size + cost > budget) {
      parts.push(current);
      current = [];
      size = 0;
    }
    current.push(entry);
    size += cost;
  }
  if (current.length > 0) parts.push(current);
  return parts.map((part, index) => digestMessage(part, { ...context, part: index + 1, parts: parts.length, total: sorted.length }));
}

function digestMessage(
  entries: readonly DigestEntry[],
  context: { readonly projectName?: string; readonly window: DigestWindow; readonly immediate: number; readonly now: string; readonly part: number; readonly parts: number; readonly total: number },
): DigestMessage {
  const project = context.projectName ?? 'unknown';
  const prefix = context.projectName ? `[${context.projectName}] ` : '';
  const partText = context.parts > 1 ? ` (part ${context.part} of ${context.parts})` : '';
  const subject = sanitizeSubject(`${prefix}Rollback digest: ${countLine(entries)}${partText}`).slice(0, MAX_SUBJECT_LENGTH);
  const from = utc(context.window.start);
  const to = utc(context.window.end);
  const headline = `${context.total} more rollback endings of ${project} between ${from} and ${to}${partText}: ${countLine(entries)}.`;
  const why = `The first ${context.immediate} endings of this window were sent one by one; the rest are in this digest, so a shared failure (a dependency down) sends one message, not one per service. Each ending below has its execution's link for the details.`;
  const body = [
    headline,
    why,
    '',
    ...entries.flatMap((entry, i) => [...entryLines(entry, i + 1), '']),
    `Sent ${utc(context.now)} (times are UTC).`,
  ].join('\n');
  const icon = entries.some((e) => e.kind === 'failure') ? ':rotating_light:' : ':white_check_mark:';
  return {
    subject,
    body,
    chat: {
      version: '1.0',
      source: 'custom',
      id: `digest-${project}-${context.window.start}-${context.part}`,
      content: {
        textType: 'client-markdown',
        title: `${icon} ${subject}`,
        description: [headline, ...entries.map((e) => `• *${e.service}*: ${e.subject}${e.executionUrl === undefined ? '' : ` (<${e.executionUrl}|execution>)`}`)].join('\n'),
        nextSteps: [...new Set(entries.filter((e) => e.kind === 'failure' && e.nextStep !== undefined).map((e) => `${e.service}: ${e.nextStep}`))].slice(0, 10),
        keywords: [project, 'digest', ...new Set(entries.map((e) => e.outcome))],
      },
      metadata: { threadId: `${project}/digest`, summary: subject, eventType: 'RollbackDigest' },
    },
    attributes: {
      project,
      digest: String(entries.length),
      status: entries.map((e) => e.kind),
      outcome: entries.map((e) => e.outcome),
      cluster: entries.map((e) => e.cluster),
      service: entries.map((e) => e.service),
      trigger: entries.map((e) => e.trigger),
      detail: entries.map((e) => e.detail),
    },
  };
}
