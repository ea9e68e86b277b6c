import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type DynamoProxy, itemKindOf, startDynamoProxy } from '../../local/harness/dynamo-proxy';
import { type LocalStateTable, startStateTable } from '../../local/harness/state-table';
import { type StandIn, startStandIn } from '../../local/stand-in/index';

const CLUSTER = 'riderapp-cluster';
const SERVICE = 'riderapp-service';
const TABLE = 'riderapp-rollback-state';

let standIn: StandIn;
let table: LocalStateTable;
let proxy: DynamoProxy;

async function errorOf(promise: Promise<unknown>): Promise<{ name: string; code?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { name: string; message: string };
  }
  throw new Error('expected the call to fail');
}

const ecsClient = (requestTimeout?: number) =>
  new ECSClient({ ...standIn.clientConfig({ maxAttempts: 1 }), ...(requestTimeout === undefined ? {} : { requestHandler: { requestTimeout, throwOnRequestTimeout: true } }) });
const dynamoClient = (endpoint: string, requestTimeout?: number) =>
  new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
    ...(requestTimeout === undefined ? {} : { requestHandler: { requestTimeout, throwOnRequestTimeout: true } }),
  });
const deploymentsOf = () => standIn.model.summary(CLUSTER, SERVICE).deployments.length;
const rollBackTo12 = new UpdateServiceCommand({ cluster: CLUSTER, service: SERVICE, taskDefinition: 'riderapp:12' });

beforeAll(async () => {
  standIn = await startStandIn({ speed: 0, riderapp: true, start: Date.parse('2025-06-02T09:00:00Z') });
  table = await startStateTable(TABLE);
  proxy = await startDynamoProxy(table.endpoint);
});

afterEach(() => {
  standIn.faults.clear();
  proxy.faults.clear();
});

afterAll(async () => {
  await proxy.close();
  await table.close();
  await standIn.stop();
});

describe('connection faults on the stand-in', () => {
  it('resets the connection before UpdateService is processed: the SDK sees a network error and no deployment starts', async () => {
    // Prepare
    const client = ecsClient();
    standIn.faults.resetBefore('ECS', 'UpdateService', { times: 1 });
    const before = deploymentsOf();

    // Act
    const error = await errorOf(client.send(rollBackTo12));
    client.destroy();

    // Assess
    expect(error.message).toMatch(/ECONNRESET|socket hang up/);
    expect(deploymentsOf()).toBe(before);
    expect(standIn.calls.of('UpdateService').at(-1)).toMatchObject({ status: 0, errorCode: 'ConnectionReset', connection: 'reset-before' });
  });

  it('loses the answer after UpdateService was processed: the SDK sees a network error but the deployment started', async () => {
    // Prepare
    const client = ecsClient();
    standIn.faults.loseAnswer('ECS', 'UpdateService', { times: 1 });
    const before = deploymentsOf();

    // Act
    const error = await errorOf(client.send(rollBackTo12));
    client.destroy();

    // Assess
    expect(error.message).toMatch(/ECONNRESET|socket hang up/);
    expect(deploymentsOf()).toBe(before + 1);
    expect(standIn.calls.of('UpdateService').at(-1)).toMatchObject({ status: 200, connection: 'lost-after' });
    expect(standIn.calls.succeeded('UpdateService')).toHaveLength(1);
  });

  it('holds a hanging DescribeServices until the client times out, unprocessed', async () => {
    // Prepare
    const client = ecsClient(300);
    standIn.faults.hang('ECS', 'DescribeServices', { times: 1, hangMs: 10_000 });
    const started = performance.now();

    // Act
    const error = await errorOf(client.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [SERVICE] })));
    const waited = performance.now() - started;
    const next = await client.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [SERVICE] }));
    client.destroy();

    // Assess
    expect(error.name).toBe('TimeoutError');
    expect(waited).toBeGreaterThanOrEqual(250);
    expect(waited).toBeLessThan(10_000);
    expect(standIn.calls.of('DescribeServices').at(-2)).toMatchObject({ status: 0, errorCode: 'Hung' });
    expect(next.services?.[0]?.serviceName).toBe(SERVICE);
  });

  it('drops a hanging call after hangMs when the client has no timeout', async () => {
    // Prepare
    const sns = new SNSClient({ ...standIn.clientConfig({ maxAttempts: 1 }) });
    standIn.faults.hang('SNS', 'Publish', { times: 1, hangMs: 100 });
    const published = standIn.published.length;

    // Act
    const error = await errorOf(sns.send(new PublishCommand({ TopicArn: standIn.riderapp!.topicArn, Message: 'hello' })));
    sns.destroy();

    // Assess
    expect(error.message).toMatch(/ECONNRESET|socket hang up/);
    expect(standIn.published.length).toBe(published);
  });

  it('marks a slow Publish the client timed out on as processed with its answer lost (the message went out)', async () => {
    // Prepare: SNS takes 300 ms, the client waits 100 ms
    const client = new SNSClient({
      ...standIn.clientConfig({ maxAttempts: 1 }),
      requestHandler: { requestTimeout: 100, throwOnRequestTimeout: true },
    });
    standIn.faults.latency('SNS', 'Publish', 300, { times: 1 });
    const before = standIn.published.length;

    // Act
    const error = await errorOf(client.send(new PublishCommand({ TopicArn: standIn.riderapp?.topicArn, Message: 'rolled back' })));
    await new Promise((resolve) => setTimeout(resolve, 400));
    client.destroy();

    // Assess
    expect(error.name).toBe('TimeoutError');
    expect(standIn.published.length).toBe(before + 1);
    expect(standIn.calls.of('Publish').at(-1)).toMatchObject({ status: 200, answerUnread: true });
  });

  it('faults only the nth matching call and the ones after it, as many times as asked', async () => {
    // Prepare
    const client = ecsClient();
    standIn.faults.throttle('ECS', 'DescribeServices', { nth: 2, times: 1 });
    const describe = () => client.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [SERVICE] })).then(() => 'ok', (e: Error) => e.name);

    // Act
    const outcomes = [await describe(), await describe(), await describe()];
    client.destroy();

    // Assess
    expect(outcomes).toEqual(['ok', 'ThrottlingException', 'ok']);
  });
});

describe('faults on DynamoDB through the proxy in front of dynalite', () => {
  const lockItem = (holder: string) =>
    new PutItemCommand({ TableName: TABLE, Item: { id: { S: `lock#${CLUSTER}/${SERVICE}` }, holder: { S: holder } } });
  const readLock = async () => {
    const out = await table.client.send(new GetItemCommand({ TableName: TABLE, Key: { id: { S: `lock#${CLUSTER}/${SERVICE}` } }, ConsistentRead: true }));
    return out.Item?.holder?.S;
  };

  it('names each call by operation and item kind (the prefix of its id)', () => {
    // Assess
    expect(itemKindOf(JSON.stringify({ Key: { id: { S: 'lock#riderapp-cluster/riderapp-service' } } }))).toBe('lock');
    expect(itemKindOf(JSON.stringify({ Item: { id: { S: 'trigger#abc123' } } }))).toBe('trigger');
    expect(itemKindOf(JSON.stringify({ TransactItems: [{ Put: { Item: { id: { S: 'cooldown#c/s' } } } }] }))).toBe('cooldown');
    expect(itemKindOf(JSON.stringify({ TableName: TABLE }))).toBe('table');
  });

  it('passes calls through to dynalite and logs them', async () => {
    // Prepare
    const client = dynamoClient(proxy.endpoint);

    // Act
    await client.send(lockItem('exec-1'));
    client.destroy();

    // Assess
    expect(await readLock()).toBe('exec-1');
    expect(proxy.calls.of('PutItem(lock)').at(-1)).toMatchObject({ service: 'DynamoDB', status: 200 });
  });

  it('throttles a lock write as DynamoDB does, without writing it', async () => {
    // Prepare
    const client = dynamoClient(proxy.endpoint);
    proxy.faults.throttle('DynamoDB', 'PutItem(lock)', { times: 1 });

    // Act
    const error = await errorOf(client.send(lockItem('exec-throttled')));
    client.destroy();

    // Assess
    expect(error.name).toBe('ThrottlingException');
    expect(await readLock()).not.toBe('exec-throttled');
  });

  it('answers 500 InternalServerError for a persistent server error', async () => {
    // Prepare
    const client = dynamoClient(proxy.endpoint);
    proxy.faults.serverError('DynamoDB', 'PutItem(lock)');

    // Act
    const errors = [await errorOf(client.send(lockItem('exec-500'))), await errorOf(client.send(lockItem('exec-500')))];
    client.destroy();

    // Assess
    expect(errors.map((e) => e.name)).toEqual(['InternalServerError', 'InternalServerError']);
    expect(await readLock()).not.toBe('exec-500');
  });

  it('resets before the write reaches DynamoDB (not written) and loses the answer after it (written)', async () => {
    // Prepare
    const client = dynamoClient(proxy.endpoint);
    proxy.faults.resetBefore('DynamoDB', 'PutItem(lock)', { times: 1 });
    proxy.faults.loseAnswer('DynamoDB', 'PutItem(lock)', { nth: 2, times: 1 });

    // Act
    const reset = await errorOf(client.send(lockItem('exec-reset')));
    const afterReset = await readLock();
    const lost = await errorOf(client.send(lockItem('exec-lost')));
    const afterLost = await readLock();
    client.destroy();

    // Assess
    expect([reset.message, lost.message]).toEqual([expect.stringMatching(/ECONNRESET|socket hang up/), expect.stringMatching(/ECONNRESET|socket hang up/)]);
    expect(afterReset).not.toBe('exec-reset');
    expect(afterLost).toBe('exec-lost');
  });

  it('holds a hanging read until the client times out', async () => {
    // Prepare
    const client = dynamoClient(proxy.endpoint, 200);
    proxy.faults.hang('DynamoDB', 'GetItem(lock)', { times: 1, hangMs: 10_000 });

    // Act
    const error = await errorOf(client.send(new GetItemCommand({ TableName: TABLE, Key: { id: { S: `lock#${CLUSTER}/${SERVICE}` } } })));
    client.destroy();

    // Assess
    expect(error.name).toBe('TimeoutError');
    expect(proxy.calls.of('GetItem(lock)').at(-1)).toMatchObject({ errorCode: 'Hung', connection: 'hang' });
  });
});
