/**
 * The notification digest on DynamoDB (dynalite) with the real Notify code: when many services of a
 * project end within one window, people get the first two endings one by one and the rest in one
 * digest at the window's end; every ending is in exactly one message to people, also when Notify is
 * retried, when an ending comes after the digest went out, or when the table cannot be used.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { PublishCommand, type PublishCommandInput, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDigestTable, type DigestTable } from '../../lambdas/aws/digest-table';
import { createNotificationLog } from '../../lambdas/aws/notification-log';
import { type NotifyDeps, type NotifySettings, notify, sendDigest } from '../../lambdas/notify/notify';
import type { NotificationResult, NotifyInput, RollbackState } from '../../lambdas/shared/types';
import { type LocalDynamo, startDynalite } from '../helpers/dynalite';
import { cooldownSkip, dryRun, rolledBack, stabilityFailed } from '../helpers/notify-states';

const sns = mockClient(SNSClient);
const SETTINGS: NotifySettings = {
  topicArn: 'arn:aws:sns:us-east-1:111122223333:riderapp-rollback',
  projectName: 'riderapp',
  digestWindowMinutes: 5,
  digestImmediate: 2,
};
/** 03:00:00 to 03:05:00 UTC is one window. */
const WINDOW_START = '2026-12-01T03:00:00.000Z';
const WINDOW_END = '2026-12-01T03:05:00Z';

let dynamo: LocalDynamo;
let tableName: string;
let tables = 0;
let clock: Date;
let messages = 0;

const executionArn = (name: string): string => `arn:aws:states:us-east-1:111122223333:execution:riderapp-ecs-auto-rollback:${name}`;

/** The state of the rollback of `service` by execution `name` (a failed deployment of that service). */
function endingOf(kind: NotifyInput['kind'], base: RollbackState, service: string, name: string): NotifyInput {
  const request = base.request ? { ...base.request, service, serviceConfig: { ...base.request.serviceConfig, service } } : undefined;
  return { kind, state: { ...base, ...(request ? { request } : {}), execution: { id: executionArn(name), startTime: WINDOW_START } } };
}

function deps(overrides: Partial<NotifyDeps> = {}): NotifyDeps {
  const now = (): Date => clock;
  return {
    sns: () => new SNSClient({ region: 'us-east-1' }),
    findDatabases: async () => [],
    metrics: new Metrics({ namespace: 'EcsAutoRollback', serviceName: 'ecs-auto-rollback' }),
    now,
    notificationLog: createNotificationLog({ tableName, client: dynamo.client, now }),
    digests: createDigestTable({ tableName, client: dynamo.client, now }),
    ...overrides,
  };
}

/** What people received: each message's services (a digest lists several). */
function received(): Array<{ readonly digest: boolean; readonly services: string[]; readonly statuses: string[]; readonly input: PublishCommandInput }> {
  return sns.commandCalls(PublishCommand).map((call) => {
    const input = call.args[0].input;
    const attributes = input.MessageAttributes ?? {};
    const values = (name: string): string[] => {
      const attribute = attributes[name];
      return attribute?.DataType === 'String.Array' ? (JSON.parse(attribute.StringValue ?? '[]') as string[]) : [attribute?.StringValue ?? ''];
    };
    return { digest: attributes.digest !== undefined, services: values('service'), statuses: values('status'), input };
  });
}

const at = (iso: string): void => {
  clock = new Date(iso);
};

beforeAll(async () => {
  dynamo = await startDynalite();
});

afterAll(async () => {
  await dynamo.close();
});

beforeEach(async () => {
  tables += 1;
  tableName = await dynamo.createTable(`digest-test-${tables}`);
  sns.reset();
  sns.on(PublishCommand).callsFake(async () => ({ MessageId: `msg-${++messages}` }));
  at('2026-12-01T03:01:00.000Z');
});

describe('a shared dependency fails: five services roll back within minutes', () => {
  it('sends the first two endings on their own and the other three in one digest at the window end, each service exactly once', async () => {
    // Prepare
    const endings = [
      endingOf('success', rolledBack, 'rides', 'e1'),
      endingOf('success', rolledBack, 'payments', 'e2'),
      endingOf('failure', stabilityFailed, 'drivers', 'e3'),
      endingOf('success', rolledBack, 'maps', 'e4'),
      endingOf('skipped', cooldownSkip, 'pricing', 'e5'),
    ];

    // Act: five Notify calls within the window, then each deferred execution's SendDigest at its end
    const results: NotificationResult[] = [];
    for (const [i, ending] of endings.entries()) {
      at(`2026-12-01T03:0${1 + (i % 3)}:${10 + i}.000Z`);
      results.push(await notify(ending, SETTINGS, deps()));
    }
    at(WINDOW_END);
    const sent = [];
    for (const i of [2, 3, 4]) sent.push(await sendDigest({ ...(endings[i]?.state as RollbackState), notification: results[i] }, SETTINGS, deps()));

    // Assess
    expect(results.map((r) => r.deferred)).toEqual([
      undefined,
      undefined,
      { windowStart: WINDOW_START, dueAt: WINDOW_END, position: 3 },
      { windowStart: WINDOW_START, dueAt: WINDOW_END, position: 4 },
      { windowStart: WINDOW_START, dueAt: WINDOW_END, position: 5 },
    ]);
    expect(results.slice(2).every((r) => r.messageId === undefined)).toBe(true);
    expect(sent.map((s) => s.sent)).toEqual([true, false, false]);
    expect(sent[1]?.sentBy).toBe(executionArn('e3'));
    const messagesToPeople = received();
    expect(messagesToPeople.map((m) => m.services)).toEqual([['rides'], ['payments'], ['drivers', 'maps', 'pricing']]);
    expect(messagesToPeople[2]?.statuses).toEqual(['failure', 'success', 'skipped']);
    expect(messagesToPeople.flatMap((m) => m.services).sort()).toEqual(['drivers', 'maps', 'payments', 'pricing', 'rides']);
  });

  it('writes a digest that leads with the counts and gives each ending its summary, next step and execution link, in email and chat', async () => {
    // Prepare
    const endings = [
      endingOf('success', rolledBack, 'rides', 'e1'),
      endingOf('success', rolledBack, 'payments', 'e2'),
      endingOf('failure', stabilityFailed, 'drivers', 'e3'),
      endingOf('success', rolledBack, 'maps', 'e4'),
    ];
    const results: NotificationResult[] = [];
    for (const ending of endings) results.push(await notify(ending, SETTINGS, deps()));

    // Act
    at(WINDOW_END);
    await sendDigest({ ...(endings[2]?.state as RollbackState), notification: results[2] }, SETTINGS, deps());

    // Assess
    const digest = received().find((m) => m.digest)?.input;
    expect(digest?.Subject).toBe('[riderapp] Rollback digest: 1 failed, 1 rolled back');
    expect(digest?.MessageStructure).toBe('json');
    const message = JSON.parse(digest?.Message ?? '{}') as { default: string; https: string };
    const body = message.default;
    expect(body.split('\n')[0]).toBe('2 more rollback endings of riderapp between 2026-12-01T03:00:00Z and 2026-12-01T03:05:00Z: 1 failed, 1 rolled back.');
    expect(body).toContain('1. Rollback failed at CheckStability: drivers\n   Rollback FAILED at CheckStability for drivers.\n   Now: service degraded');
    expect(body).toContain('2. Rollback succeeded: maps riderapp:15 -> riderapp:14\n   Rollback succeeded: maps is back on riderapp:14 and healthy.');
    expect(body).toContain(`Execution: https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/${executionArn('e4')}`);
    expect(body).toContain('   Next: Look at deployment ecs-svc/2222');
    const chat = JSON.parse(message.https) as { version: string; source: string; content: { title: string; description: string; keywords: string[] } };
    expect(chat).toMatchObject({ version: '1.0', source: 'custom', content: { textType: 'client-markdown' } });
    expect(chat.content.description).toContain('*drivers*');
    expect(chat.content.description).toContain('*maps*');
    expect(digest?.MessageAttributes).toMatchObject({
      project: { DataType: 'String', StringValue: 'riderapp' },
      digest: { DataType: 'String', StringValue: '2' },
      service: { DataType: 'String.Array', StringValue: '["drivers","maps"]' },
      status: { DataType: 'String.Array', StringValue: '["failure","success"]' },
    });
  });
});

describe('nothing lost, nothing twice', () => {
  it('a retried Notify of a folded ending keeps its place and is counted once', async () => {
    // Prepare
    for (const name of ['e1', 'e2']) await notify(endingOf('success', rolledBack, name, name), SETTINGS, deps());
    const third = endingOf('success', rolledBack, 'maps', 'e3');

    // Act: the first attempt's answer is lost; Step Functions retries the Task
    const first = await notify(third, SETTINGS, deps());
    const retry = await notify(third, SETTINGS, deps());
    const fourth = await notify(endingOf('success', rolledBack, 'pricing', 'e4'), SETTINGS, deps());

    // Assess
    expect(retry.deferred).toEqual(first.deferred);
    expect(fourth.deferred?.position).toBe(4);
    expect(received()).toHaveLength(2);
  });

  it('a retry after the window ended stays in the window it was first counted in', async () => {
    // Prepare
    for (const name of ['e1', 'e2']) await notify(endingOf('success', rolledBack, name, name), SETTINGS, deps());
    const third = endingOf('success', rolledBack, 'maps', 'e3');
    const first = await notify(third, SETTINGS, deps());

    // Act
    at('2026-12-01T03:06:30.000Z');
    const retry = await notify(third, SETTINGS, deps());

    // Assess
    expect(retry.deferred).toEqual({ windowStart: WINDOW_START, dueAt: WINDOW_END, position: 3 });
    expect(first.deferred).toEqual(retry.deferred);
  });

  it('an ending counted after its window closed is sent on its own, not lost', async () => {
    // Prepare: e3 closed the window and sent the digest; e4's Notify (retried, so still in that window) comes later
    for (const name of ['e1', 'e2']) await notify(endingOf('success', rolledBack, name, name), SETTINGS, deps());
    const third = endingOf('success', rolledBack, 'maps', 'e3');
    const deferred = await notify(third, SETTINGS, deps());
    at(WINDOW_END);
    await sendDigest({ ...third.state, notification: deferred }, SETTINGS, deps());
    const late = endingOf('failure', stabilityFailed, 'pricing', 'e4');

    // Act: Notify of e4 still falls in the closed window
    at('2026-12-01T03:04:59.000Z');
    const result = await notify(late, SETTINGS, deps());

    // Assess
    expect(result.deferred).toBeUndefined();
    expect(result.messageId).toBeDefined();
    expect(received().map((m) => m.services)).toEqual([['e1'], ['e2'], ['maps'], ['pricing']]);
  });

  it('a retried SendDigest after its Publish went out does not send the digest again', async () => {
    // Prepare
    for (const name of ['e1', 'e2']) await notify(endingOf('success', rolledBack, name, name), SETTINGS, deps());
    const third = endingOf('success', rolledBack, 'maps', 'e3');
    const deferred = await notify(third, SETTINGS, deps());
    at(WINDOW_END);

    // Act
    const first = await sendDigest({ ...third.state, notification: deferred }, SETTINGS, deps());
    const retry = await sendDigest({ ...third.state, notification: deferred }, SETTINGS, deps());

    // Assess
    expect(first).toMatchObject({ sent: true, endings: 1 });
    expect(retry).toMatchObject({ sent: true, endings: 1, messageIds: [] });
    expect(received().filter((m) => m.digest)).toHaveLength(1);
  });

  it('sends every ending on its own when the state table cannot be used', async () => {
    // Prepare
    const broken: DigestTable = {
      record: async () => {
        throw new Error('connect ECONNREFUSED');
      },
      close: async () => ({ status: 'other-sender', closedBy: 'nobody' }),
      partSent: async () => undefined,
    };

    // Act
    const results = [];
    for (const name of ['e1', 'e2', 'e3', 'e4']) results.push(await notify(endingOf('success', rolledBack, name, name), SETTINGS, deps({ digests: broken })));

    // Assess
    expect(results.every((r) => r.deferred === undefined && r.messageId !== undefined)).toBe(true);
    expect(received()).toHaveLength(4);
  });
});

describe('what is never folded', () => {
  it.each([
    ['a dry run', 'dry-run' as const, dryRun],
    ['a manual start', 'success' as const, { ...rolledBack, request: { ...rolledBack.request!, trigger: { kind: 'manual' as const, id: 'x', time: WINDOW_START, summary: 'Manual rollback requested by alice', requestedBy: 'alice' } } }],
  ])('%s goes out at once and does not count toward the window', async (_name, kind, state) => {
    // Prepare
    for (const name of ['e1', 'e2']) await notify(endingOf('success', rolledBack, name, name), SETTINGS, deps());

    // Act
    const person = await notify(endingOf(kind, state, 'rides', 'manual-1'), SETTINGS, deps());
    const third = await notify(endingOf('success', rolledBack, 'maps', 'e3'), SETTINGS, deps());

    // Assess
    expect(person.deferred).toBeUndefined();
    expect(person.messageId).toBeDefined();
    expect(third.deferred?.position).toBe(3);
  });

  it('with DIGEST_WINDOW_MINUTES=0 every ending goes out on its own', async () => {
    // Act
    const results = [];
    for (const name of ['e1', 'e2', 'e3']) results.push(await notify(endingOf('success', rolledBack, name, name), { ...SETTINGS, digestWindowMinutes: 0 }, deps()));

    // Assess
    expect(results.map((r) => r.deferred)).toEqual([undefined, undefined, undefined]);
    expect(received()).toHaveLength(3);
  });
});
