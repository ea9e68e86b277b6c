import { readFileSync } from 'node:fs';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../cli/run';
import { createStateTable, type StateTable } from '../../lambdas/aws/state-table';
import { type LocalDynamo, startDynalite } from '../helpers/dynalite';
import { captureIo, EXECUTION_ARN, EXECUTION_NAME, STARTED, STOPPED } from './fixtures';

const sfnMock = mockClient(SFNClient);
const ABORTED_EVENT: unknown = JSON.parse(
  readFileSync(new URL('../fixtures/events/sfn-execution-aborted.json', import.meta.url), 'utf8'),
);
const OTHER = 'arn:aws:states:us-east-1:111122223333:execution:riderapp-ecs-auto-rollback:automatic-next';

let dynamo: LocalDynamo;
let stateTable: StateTable;
let releaseLockHandler: (event: unknown) => Promise<unknown>;

beforeAll(async () => {
  dynamo = await startDynalite('riderapp-abort-state');
  vi.stubEnv('STATE_TABLE_NAME', dynamo.tableName);
  vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', dynamo.endpoint);
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
  vi.stubEnv('COOLDOWN_MINUTES', '30');
  releaseLockHandler = (await import('../../lambdas/release-lock/handler')).handler as (event: unknown) => Promise<unknown>;
  stateTable = createStateTable({ tableName: dynamo.tableName, client: dynamo.client });
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await dynamo?.close();
});

beforeEach(() => {
  sfnMock.reset();
  sfnMock.on(StopExecutionCommand).resolves({ stopDate: STARTED });
});

describe('ecs-rollback abort', () => {
  it('stops a running rollback, and the stack frees its lock when Step Functions reports the stop', async () => {
    // Prepare: the rollback holds riderapp-service's lock
    await stateTable.acquireLock('riderapp-cluster', 'riderapp-service', EXECUTION_ARN, 7200);
    sfnMock.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION_ARN, name: EXECUTION_NAME, status: 'RUNNING', startDate: STARTED });
    const run = captureIo();

    // Act
    const code = await runCli(['abort', EXECUTION_ARN, '--reason', 'wrong target'], run.io);
    const released = await releaseLockHandler(ABORTED_EVENT);

    // Assess
    expect(code).toBe(0);
    expect(sfnMock).toHaveReceivedCommandWith(StopExecutionCommand, {
      executionArn: EXECUTION_ARN,
      error: 'AbortedByOperator',
      cause: 'Stopped with ecs-rollback abort by alice: wrong target',
    });
    expect(run.stdout()).toContain(`${EXECUTION_NAME}: stopped (ABORTED).`);
    expect(released).toEqual({ released: true, service: 'riderapp-cluster/riderapp-service' });
    expect(await stateTable.acquireLock('riderapp-cluster', 'riderapp-service', OTHER, 7200)).toMatchObject({ acquired: true });
  });

  it('leaves an execution that already ended alone and says so', async () => {
    // Prepare
    sfnMock.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION_ARN, name: EXECUTION_NAME, status: 'SUCCEEDED', startDate: STARTED });
    const run = captureIo();

    // Act
    const code = await runCli(['abort', EXECUTION_ARN], run.io);

    // Assess
    expect(code).toBe(0);
    expect(sfnMock).not.toHaveReceivedCommand(StopExecutionCommand);
    expect(run.stdout()).toBe(`${EXECUTION_NAME}: already SUCCEEDED; nothing to stop.\n`);
  });

  it('--json: prints the stopped execution as one JSON document, the cause naming who and why', async () => {
    // Prepare
    sfnMock.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION_ARN, name: EXECUTION_NAME, status: 'RUNNING', startDate: STARTED });
    sfnMock.on(StopExecutionCommand).resolves({ stopDate: STOPPED });
    const run = captureIo();

    // Act
    const code = await runCli(['abort', EXECUTION_ARN, '--reason', 'wrong target', '--json'], run.io);

    // Assess
    expect(code).toBe(0);
    expect(JSON.parse(run.stdout())).toEqual({
      executionArn: EXECUTION_ARN,
      name: EXECUTION_NAME,
      stopped: true,
      status: 'ABORTED',
      stopDate: STOPPED.toISOString(),
      error: 'AbortedByOperator',
      cause: 'Stopped with ecs-rollback abort by alice: wrong target',
    });
  });

  it('--json: says an execution that already ended was not stopped', async () => {
    // Prepare
    sfnMock.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION_ARN, name: EXECUTION_NAME, status: 'FAILED', startDate: STARTED });
    sfnMock.on(GetExecutionHistoryCommand).resolves({ events: [] });
    const run = captureIo();

    // Act
    const code = await runCli(['abort', EXECUTION_ARN, '--json'], run.io);

    // Assess
    expect(code).toBe(0);
    expect(sfnMock).not.toHaveReceivedCommand(StopExecutionCommand);
    expect(JSON.parse(run.stdout())).toEqual({ executionArn: EXECUTION_ARN, name: EXECUTION_NAME, stopped: false, status: 'FAILED' });
  });

  it('needs exactly one execution and names the command in the usage error', async () => {
    // Prepare
    const run = captureIo();

    // Act
    const code = await runCli(['abort'], run.io);

    // Assess
    expect(code).toBe(2);
    expect(run.stderr()).toContain('abort needs exactly one execution ARN or name');
    expect(sfnMock).not.toHaveReceivedCommand(StopExecutionCommand);
  });
});
