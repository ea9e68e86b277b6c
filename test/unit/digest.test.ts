import { describe, expect, it } from 'vitest';
import { buildDigest, type DigestEntry, digestEntry, isDigestible, modeOf, windowOf } from '../../lambdas/core/digest';
import { buildNotification } from '../../lambdas/core/message';
import { readNotifySettings } from '../../lambdas/notify/notify';
import type { NotifyInput } from '../../lambdas/shared/types';
import { NOW, rolledBack, stabilityFailed } from '../helpers/notify-states';

/** SNS's limit of one Publish: https://docs.aws.amazon.com/sns/latest/api/API_Publish.html */
const SNS_MAX_BYTES = 262_144;
const WINDOW = { start: '2026-12-01T03:00:00.000Z', end: '2026-12-01T03:05:00.000Z' };

function entries(count: number): DigestEntry[] {
  return Array.from({ length: count }, (_, i) => {
    const service = `riderapp-${'x'.repeat(40)}-service-${i}`;
    const base = i % 7 === 0 ? stabilityFailed : rolledBack;
    const input: NotifyInput = {
      kind: i % 7 === 0 ? 'failure' : 'success',
      state: { ...base, request: { ...base.request!, service }, execution: { id: `arn:aws:states:us-east-1:111122223333:execution:riderapp-ecs-auto-rollback:${'e'.repeat(60)}-${i}`, startTime: NOW } },
    };
    const text = buildNotification(input, { now: NOW, projectName: 'riderapp' });
    return { ...digestEntry(input, text, { executionId: input.state.execution.id, projectName: 'riderapp', recordedAt: NOW }), position: i + 3 };
  });
}

/** The bytes of the Publish request a digest part makes: the JSON message structure and the attributes. */
function publishBytes(part: ReturnType<typeof buildDigest>[number]): number {
  const message = JSON.stringify({ default: part.body, https: JSON.stringify(part.chat) });
  const attributes = Object.entries(part.attributes).reduce((n, [name, value]) => n + name.length + (typeof value === 'string' ? value : JSON.stringify(value)).length + 'String.Array'.length, 0);
  return Buffer.byteLength(message, 'utf8') + Buffer.byteLength(part.subject, 'utf8') + attributes;
}

describe('digest windows', () => {
  it.each([
    ['2026-12-01T03:00:00.000Z', WINDOW],
    ['2026-12-01T03:04:59.999Z', WINDOW],
    ['2026-12-01T03:05:00.000Z', { start: '2026-12-01T03:05:00.000Z', end: '2026-12-01T03:10:00.000Z' }],
  ])('an ending at %s falls in %j (5-minute windows aligned to the clock)', (at, expected) => {
    expect(windowOf(new Date(at), 5)).toEqual(expected);
  });

  it('tells the first two endings of a window on their own and folds the third onwards', () => {
    expect([1, 2, 3, 200].map((position) => modeOf(position, 2))).toEqual(['immediate', 'immediate', 'digest', 'digest']);
  });

  it('never folds a dry run or a manual start', () => {
    const manual = { ...rolledBack, request: { ...rolledBack.request!, trigger: { kind: 'manual' as const, id: 'm', time: NOW, summary: 'Manual rollback', requestedBy: 'alice' } } };
    expect(isDigestible({ kind: 'success', state: rolledBack })).toBe(true);
    expect(isDigestible({ kind: 'failure', state: {} as never })).toBe(true);
    expect(isDigestible({ kind: 'dry-run', state: rolledBack })).toBe(false);
    expect(isDigestible({ kind: 'success', state: manual })).toBe(false);
  });
});

describe('digest settings of the Notify function', () => {
  it('defaults to 5-minute windows with two endings on their own; 0 turns the digest off', () => {
    expect(readNotifySettings({})).toMatchObject({ digestWindowMinutes: 5, digestImmediate: 2 });
    expect(readNotifySettings({ DIGEST_WINDOW_MINUTES: '0', DIGEST_IMMEDIATE: '3' })).toMatchObject({ digestWindowMinutes: 0, digestImmediate: 3 });
  });

  it.each([
    [{ DIGEST_WINDOW_MINUTES: '10' }, 'DIGEST_WINDOW_MINUTES must be a whole number from 0 to 5, got "10"'],
    [{ DIGEST_WINDOW_MINUTES: '2.5' }, 'DIGEST_WINDOW_MINUTES must be a whole number from 0 to 5, got "2.5"'],
    [{ DIGEST_IMMEDIATE: '0' }, 'DIGEST_IMMEDIATE must be a whole number from 1 to 1000, got "0"'],
  ])('refuses %j, naming the variable (a longer window than the state machine waits for would time executions out)', (env, message) => {
    expect(() => readNotifySettings(env)).toThrow(message);
  });
});

describe('digest size: SNS takes at most 256 KiB per Publish', () => {
  it('200 services rolled back in one window: every ending in exactly one part, every part within the limit', () => {
    // Prepare
    const folded = entries(200);

    // Act
    const parts = buildDigest(folded, { projectName: 'riderapp', window: WINDOW, immediate: 2, now: NOW });

    // Assess
    for (const part of parts) expect(publishBytes(part)).toBeLessThan(SNS_MAX_BYTES);
    const services = parts.flatMap((part) => part.attributes.service as string[]);
    expect(services).toEqual(folded.map((e) => e.service));
    expect(parts.map((part) => part.attributes.digest).reduce((n, count) => n + Number(count), 0)).toBe(200);
  });

  it('splits into numbered parts when the digest does not fit one message', () => {
    // Act
    const parts = buildDigest(entries(30), { projectName: 'riderapp', window: WINDOW, immediate: 2, now: NOW, budgetBytes: 20_000 });

    // Assess
    expect(parts.length).toBeGreaterThan(1);
    for (const [i, part] of parts.entries()) expect(part.subject).toMatch(new RegExp(`\\(part ${i + 1} of ${parts.length}\\)$`));
    expect(parts.flatMap((part) => part.attributes.service as string[])).toHaveLength(30);
    for (const part of parts) expect(part.subject.length).toBeLessThan(100);
  });

  it('names services and executions, not full ARNs, in the email lines it leads with', () => {
    // Act
    const [part] = buildDigest(entries(3), { projectName: 'riderapp', window: WINDOW, immediate: 2, now: NOW });

    // Assess
    const lines = part?.body.split('\n').filter((line) => /^\d+\. /.test(line)) ?? [];
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).not.toMatch(/arn:aws/);
  });
});
