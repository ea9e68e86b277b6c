import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { beforeEach, describe, expect, it } from 'vitest';
import { useLocalServer } from '../helpers/local-server';
import { awsCall } from '../../lambdas/aws/call';
import {
  DEFAULT_CONNECTION_TIMEOUT_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  READ_MAX_ATTEMPTS,
  sdkClientOptions,
  sdkTimeouts,
} from '../../lambdas/aws/client-options';
import { TransientAwsError } from '../../lambdas/shared/errors';

/** An ECS endpoint on 127.0.0.1 that reads every request and never answers. */
let received: string[] = [];
const server = useLocalServer((request) => {
  received.push(String(request.headers['x-amz-target']));
  request.resume();
});

beforeEach(() => {
  received = [];
});

const SHORT = { SDK_CONNECTION_TIMEOUT_MS: '200', SDK_REQUEST_TIMEOUT_MS: '150' };

function clientFor(use: 'read' | 'write'): ECSClient {
  return new ECSClient({
    ...sdkClientOptions(use, SHORT),
    endpoint: server.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' },
  });
}

describe('SDK clients: a hung connection ends in a typed error well before the Task times out', () => {
  it('gives up on a hung DescribeServices after the SDK tried it 3 times, as a TransientAwsError the state machine retries', async () => {
    // Prepare
    const client = clientFor('read');

    // Act
    const describing = awsCall('ecs:DescribeServices', () =>
      client.send(new DescribeServicesCommand({ cluster: 'riderapp-cluster', services: ['riderapp-service'] })),
    );

    // Assess
    await expect(describing).rejects.toThrow(TransientAwsError);
    await expect(describing).rejects.toThrow(/ecs:DescribeServices: TimeoutError/);
    expect(received).toEqual(Array(READ_MAX_ATTEMPTS).fill('AmazonEC2ContainerServiceV20141113.DescribeServices'));
  });

  it('sends a hung UpdateService once (the SDK never repeats a write) and reports a TransientAwsError', async () => {
    // Prepare
    const client = clientFor('write');

    // Act
    const updating = awsCall('ecs:UpdateService', () =>
      client.send(new UpdateServiceCommand({ cluster: 'riderapp-cluster', service: 'riderapp-service', taskDefinition: 'riderapp:14' })),
    );

    // Assess
    await expect(updating).rejects.toThrow(TransientAwsError);
    expect(received).toEqual(['AmazonEC2ContainerServiceV20141113.UpdateService']);
  });
});

describe('SDK client options', () => {
  it('uses 3 s to connect and 6 s per request unless the environment says otherwise', () => {
    expect(sdkTimeouts({})).toEqual({ connectionTimeoutMs: DEFAULT_CONNECTION_TIMEOUT_MS, requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS });
    expect(sdkTimeouts(SHORT)).toEqual({ connectionTimeoutMs: 200, requestTimeoutMs: 150 });
  });

  it.each(['0', '-5', 'soon', '1.5'])('keeps the default timeouts for a bad value (%s), never none', (value) => {
    expect(sdkTimeouts({ SDK_CONNECTION_TIMEOUT_MS: value, SDK_REQUEST_TIMEOUT_MS: value })).toEqual({
      connectionTimeoutMs: DEFAULT_CONNECTION_TIMEOUT_MS,
      requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
    });
  });

  it('lets a read that hangs on every attempt end within 60 % of the 50 s function timeout', () => {
    // 3 attempts × (connect + request), plus well under a second of SDK backoff between them
    const worst = READ_MAX_ATTEMPTS * (DEFAULT_CONNECTION_TIMEOUT_MS + DEFAULT_REQUEST_TIMEOUT_MS) + 1_000;
    expect(worst).toBeLessThanOrEqual(0.6 * 50_000);
  });

  it('makes request timeouts errors (not warnings) and gives writes a single attempt', () => {
    expect(sdkClientOptions('read', {})).toMatchObject({ maxAttempts: 3, requestHandler: { throwOnRequestTimeout: true } });
    expect(sdkClientOptions('write', {})).toMatchObject({ maxAttempts: 1, requestHandler: { throwOnRequestTimeout: true } });
  });
});
