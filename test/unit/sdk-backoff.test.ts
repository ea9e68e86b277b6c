import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useLocalServer } from '../helpers/local-server';
import { awsCall } from '../../lambdas/aws/call';
import {
  BACKOFF_SLEEP,
  backoffMs,
  MAX_BACKOFF_MS,
  READ_MAX_ATTEMPTS,
  sdkClientOptions,
  THROTTLING_BACKOFF_BASE_MS,
} from '../../lambdas/aws/client-options';
import { ThrottledAwsError } from '../../lambdas/shared/errors';

/** An ECS endpoint on 127.0.0.1 that answers ThrottlingException to the first `throttles` calls, then an empty page. */
let throttles = 0;
let received: string[] = [];
let slept: number[] = [];

const server = useLocalServer((request, response) => {
  received.push(String(request.headers['x-amz-target']).split('.').at(-1) ?? '?');
  request.resume();
  request.on('end', () => {
    if (throttles > 0) {
      throttles -= 1;
      response.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }));
      return;
    }
    response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
    response.end(JSON.stringify({ services: [], failures: [] }));
  });
});

beforeEach(() => {
  received = [];
  slept = [];
  (globalThis as Record<symbol, unknown>)[BACKOFF_SLEEP] = async (ms: number) => {
    slept.push(ms);
  };
});

afterEach(() => {
  delete (globalThis as Record<symbol, unknown>)[BACKOFF_SLEEP];
});

function clientFor(use: 'read' | 'write'): ECSClient {
  return new ECSClient({ ...sdkClientOptions(use, {}), endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' } });
}

describe('SDK backoff through one replaceable sleep (modelled time in the harness, a real timer in Lambda)', () => {
  it('retries a throttled DescribeServices after backing off through the installed sleep, up to 1 s and then 2 s', async () => {
    // Prepare
    throttles = 2;

    // Act
    const answer = await clientFor('read').send(new DescribeServicesCommand({ cluster: 'c', services: ['s'] }));

    // Assess
    expect(answer.failures).toEqual([]);
    expect(received).toEqual(['DescribeServices', 'DescribeServices', 'DescribeServices']);
    expect(slept).toHaveLength(2);
    expect(slept[0]).toBeLessThan(THROTTLING_BACKOFF_BASE_MS);
    expect(slept[1]).toBeLessThan(2 * THROTTLING_BACKOFF_BASE_MS);
  });

  it('gives up after its attempts as a ThrottledAwsError for the state machine to retry with its throttling budget', async () => {
    // Prepare
    throttles = READ_MAX_ATTEMPTS;

    // Act
    const describing = awsCall('ecs:DescribeServices', () => clientFor('read').send(new DescribeServicesCommand({ cluster: 'c', services: ['s'] })));

    // Assess
    await expect(describing).rejects.toThrow(ThrottledAwsError);
    expect(received).toHaveLength(READ_MAX_ATTEMPTS);
    expect(slept).toHaveLength(READ_MAX_ATTEMPTS - 1);
    throttles = 0;
  });

  it('never repeats a throttled UpdateService (a write) and sleeps for none', async () => {
    // Prepare
    throttles = 1;

    // Act
    const updating = clientFor('write').send(new UpdateServiceCommand({ cluster: 'c', service: 's', taskDefinition: 'td:1' }));

    // Assess
    await expect(updating).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(received).toEqual(['UpdateService']);
    expect(slept).toEqual([]);
  });

  it('draws each wait with full jitter under base × 2^n, never above 20 s', () => {
    expect(backoffMs('THROTTLING', 0, () => 0.999_999)).toBe(THROTTLING_BACKOFF_BASE_MS - 1);
    expect(backoffMs('THROTTLING', 3, () => 0.5)).toBe(4 * THROTTLING_BACKOFF_BASE_MS);
    expect(backoffMs('THROTTLING', 10, () => 0.999_999)).toBe(MAX_BACKOFF_MS - 1);
    expect(backoffMs('TRANSIENT', 0, () => 0)).toBe(0);
  });
});
