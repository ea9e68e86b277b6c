import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler as notifyHandler } from '../../lambdas/notify/handler';
import { LOG_KEYS, logger, withLogging } from '../../lambdas/shared/logger';
import type { RollbackState } from '../../lambdas/shared/types';

vi.hoisted(() => {
  process.env.TOPIC_ARN = 'arn:aws:sns:us-east-1:111122223333:riderapp-rollback-notifications';
  process.env.PROJECT_NAME = 'riderapp';
});

const snsMock = mockClient(SNSClient);
const EXECUTION_A = 'arn:aws:states:us-east-1:111122223333:execution:riderapp-ecs-auto-rollback:exec-a';
const EXECUTION_B = 'arn:aws:states:us-east-1:111122223333:execution:riderapp-ecs-auto-rollback:exec-b';

function skippedState(executionArn: string, cluster: string, service: string): RollbackState {
  return {
    input: {},
    settings: { pollIntervalSeconds: 15, stabilizationTimeoutSeconds: 600 },
    execution: { id: executionArn, startTime: '2026-12-01T03:00:00.000Z' },
    request: {
      trigger: { kind: 'manual', id: executionArn, time: '2026-12-01T03:00:00.000Z', summary: 'Manual rollback' },
      region: 'us-east-1',
      cluster,
      service,
      serviceConfig: { cluster, service, ecrRepository: 'riderapp', alarmNames: [] },
      dryRun: false,
      rollbackType: 'application',
      action: 'skip',
      actionReason: 'CooldownActive',
      actionMessage: 'a rollback ended 3 minutes ago',
      lockHeld: false,
      preparedAt: '2026-12-01T03:00:01.000Z',
    },
  };
}

function lambdaContext(requestId: string): Context {
  return {
    awsRequestId: requestId,
    functionName: 'riderapp-ecs-auto-rollback-Notify',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:111122223333:function:riderapp-ecs-auto-rollback-Notify',
    memoryLimitInMB: '256',
  } as Context;
}

/** Every JSON line the logger writes, parsed. */
let lines: Array<Record<string, unknown>> = [];

beforeEach(() => {
  lines = [];
  snsMock.reset();
  snsMock.on(PublishCommand).resolves({ MessageId: 'msg-1' });
  logger.setLogLevel('DEBUG');
  const capture = (chunk: unknown): boolean => {
    for (const text of String(chunk).split('\n')) if (text.trim().startsWith('{')) lines.push(JSON.parse(text));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture as typeof process.stdout.write);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture as typeof process.stderr.write);
});

afterEach(() => {
  vi.restoreAllMocks();
  logger.setLogLevel('SILENT');
});

describe('logger', () => {
  it('puts the execution ARN, cluster and ECS service on every line of an execution, under our own key names', async () => {
    // Prepare
    const task = withLogging(async (_event: RollbackState) => {
      logger.debug('looking');
      logger.info('decided', { revision: 'riderapp:14' });
      logger.warn('slow answer');
      logger.error('gave up', new Error('boom'));
    });

    // Act
    await task(skippedState(EXECUTION_A, 'riderapp-cluster', 'riderapp-service'), lambdaContext('req-1'));
    await notifyHandler({ kind: 'skipped', state: skippedState(EXECUTION_A, 'riderapp-cluster', 'riderapp-service') }, lambdaContext('req-2'));

    // Assess
    expect(lines.length).toBeGreaterThanOrEqual(5);
    for (const line of lines) {
      expect(line).toMatchObject({
        [LOG_KEYS.executionArn]: EXECUTION_A,
        [LOG_KEYS.cluster]: 'riderapp-cluster',
        [LOG_KEYS.service]: 'riderapp-service',
        service: 'ecs-auto-rollback',
      });
    }
  });

  it('drops no key: no "reserved key" warning, and `service` stays the Powertools service name', async () => {
    // Act
    await notifyHandler({ kind: 'skipped', state: skippedState(EXECUTION_A, 'riderapp-cluster', 'riderapp-service') }, lambdaContext('req-1'));

    // Assess
    expect(lines.some((line) => String(line.message).includes('reserved key'))).toBe(false);
    expect(lines.find((line) => line.message === 'notification sent')).toMatchObject({
      service: 'ecs-auto-rollback',
      [LOG_KEYS.service]: 'riderapp-service',
    });
  });

  it("does not log execution B with execution A's cluster and service in a warm container", async () => {
    // Prepare: B is a malformed event: no request, no cluster or service anywhere
    const stateB = { input: 'not an event', settings: skippedState(EXECUTION_B, 'x', 'y').settings, execution: { id: EXECUTION_B, startTime: '2026-12-01T03:05:00.000Z' }, failure: { step: 'Prepare', error: 'ValidationError', cause: 'input: expected an object' } } as RollbackState;

    // Act
    await notifyHandler({ kind: 'skipped', state: skippedState(EXECUTION_A, 'riderapp-cluster', 'riderapp-service') }, lambdaContext('req-a'));
    const linesOfA = lines.length;
    await notifyHandler({ kind: 'failure', state: stateB }, lambdaContext('req-b'));

    // Assess
    const linesOfB = lines.slice(linesOfA);
    expect(linesOfB.length).toBeGreaterThan(0);
    for (const line of linesOfB) {
      expect(line[LOG_KEYS.executionArn]).toBe(EXECUTION_B);
      expect(line).not.toHaveProperty(LOG_KEYS.cluster);
      expect(line).not.toHaveProperty(LOG_KEYS.service);
      expect(line.function_request_id).toBe('req-b');
    }
  });

  it('resets the keys also when the handler throws', async () => {
    // Prepare
    const failing = withLogging(async (_event: RollbackState) => {
      throw new Error('ECS said no');
    });
    const quiet = withLogging(async (_event: unknown) => {
      logger.info('no execution here');
    });

    // Act
    await expect(failing(skippedState(EXECUTION_A, 'riderapp-cluster', 'riderapp-service'))).rejects.toThrow('ECS said no');
    await quiet({});

    // Assess
    expect(lines.at(-1)).toMatchObject({ message: 'no execution here' });
    expect(lines.at(-1)).not.toHaveProperty(LOG_KEYS.executionArn);
    expect(lines.at(-1)).not.toHaveProperty(LOG_KEYS.cluster);
  });

  it('adds the Lambda context: request id, function name and cold_start (true only on the first invocation)', async () => {
    // Prepare
    const task = withLogging(async (_event: unknown) => {
      logger.info('hello');
    });

    // Act
    await task({}, lambdaContext('req-1'));
    await task({}, lambdaContext('req-2'));

    // Assess
    const hellos = lines.filter((line) => line.message === 'hello');
    expect(hellos.map((line) => line.function_request_id)).toEqual(['req-1', 'req-2']);
    expect(hellos[0]).toMatchObject({ function_name: 'riderapp-ecs-auto-rollback-Notify', cold_start: expect.any(Boolean) });
    expect(hellos[1]?.cold_start).toBe(false);
  });

  it('finds cluster and service in an ECS event before Prepare has resolved them', async () => {
    // Prepare
    const task = withLogging(async (_event: unknown) => {
      logger.info('normalising');
    });
    const event = {
      input: { 'detail-type': 'ECS Deployment State Change', resources: ['arn:aws:ecs:us-east-1:111122223333:service/riderapp-cluster/riderapp-service'] },
      execution: { id: EXECUTION_A, startTime: '2026-12-01T03:00:00.000Z' },
    };

    // Act
    await task(event);

    // Assess
    expect(lines.at(-1)).toMatchObject({ [LOG_KEYS.cluster]: 'riderapp-cluster', [LOG_KEYS.service]: 'riderapp-service', [LOG_KEYS.executionArn]: EXECUTION_A });
  });
});
