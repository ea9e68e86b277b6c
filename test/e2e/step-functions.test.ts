/**
 * The CLI against Step Functions on the stand-in: StartExecution runs the real ASL with the bundled
 * functions, so `ecs-rollback` is exercised end to end, as on AWS, without mocks.
 */
import { PassThrough } from 'node:stream';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { lockKey } from '../../lambdas/aws/state-table';
import type { CliIo } from '../../cli/run';
import { runCli } from '../../cli/run';
import { stepFunctionsOf } from '../../local/harness/run';
import { RIDERAPP, type World } from '../../local/harness/index';
import { useBundledWorlds } from '../helpers/bundled-worlds';

const worlds = useBundledWorlds();

function cliIo(world: World): { io: CliIo; stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  const io: CliIo = {
    stdin: new PassThrough(),
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    env: { USER: 'alice' },
    createClient: () => new SFNClient(world.standIn.clientConfig({ maxAttempts: 1 })),
    // Real, short pauses: the execution runs in this process while the CLI polls.
    sleep: (milliseconds) => new Promise((resolve) => setTimeout(resolve, Math.min(milliseconds, 20))),
    randomSuffix: () => '3f9a',
  };
  return { io, stdout: () => out, stderr: () => err };
}

const taskDefinitionOfService = (world: World): string | undefined =>
  world.model.findService(RIDERAPP.cluster, RIDERAPP.service)?.taskDefinitionArn;

describe('Step Functions on the stand-in, driven by ecs-rollback', () => {
  it('rolls riderapp-service back to riderapp:13 with `ecs-rollback start --project riderapp --to riderapp:13 --yes --wait` and exits 0', async () => {
    // Prepare
    const world = await worlds.start();
    stepFunctionsOf(world);
    const cli = cliIo(world);

    // Act
    const code = await runCli(['start', '--project', 'riderapp', '--cluster', RIDERAPP.cluster, '--service', RIDERAPP.service, '--to', 'riderapp:13', '--yes', '--wait'], cli.io);

    // Assess
    expect(code, cli.stderr()).toBe(0);
    expect(taskDefinitionOfService(world)).toMatch(/:task-definition\/riderapp:13$/);
    const [execution] = stepFunctionsOf(world).all();
    expect(execution?.status).toBe('SUCCEEDED');
    expect(execution?.name).toMatch(/^manual-/);
    expect(cli.stdout()).toContain('riderapp:13');
  });

  it('lists the execution with `ecs-rollback history --project riderapp` once it ended', async () => {
    const world = await worlds.start();
    const sfn = new SFNClient(world.standIn.clientConfig({ maxAttempts: 1 }));
    const stateMachineArn = stepFunctionsOf(world).stateMachineArn;
    await sfn.send(
      new StartExecutionCommand({
        stateMachineArn,
        name: 'dry-run-1',
        input: JSON.stringify({ cluster: RIDERAPP.cluster, service: RIDERAPP.service, dryRun: true, requestedBy: 'alice' }),
      }),
    );
    await stepFunctionsOf(world).settle();
    const cli = cliIo(world);

    const code = await runCli(['history', '--project', 'riderapp'], cli.io);

    expect(code, cli.stderr()).toBe(0);
    expect(cli.stdout()).toContain('dry-run-1');
  });

  it('answers a repeated StartExecution with the same name and input with the running execution, and a reuse with other input with ExecutionAlreadyExists', async () => {
    const world = await worlds.start();
    const sfn = new SFNClient(world.standIn.clientConfig({ maxAttempts: 1 }));
    const stateMachineArn = stepFunctionsOf(world).stateMachineArn;
    const input = JSON.stringify({ cluster: RIDERAPP.cluster, service: RIDERAPP.service, dryRun: true });

    const first = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'same-name', input }));
    const again = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'same-name', input }));
    const other = sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'same-name', input: '{"cluster":"other"}' }));

    expect(again.executionArn).toBe(first.executionArn);
    await expect(other).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    await stepFunctionsOf(world).settle();
    expect(stepFunctionsOf(world).all()).toHaveLength(1);
  });

  it('stops a running rollback with StopExecution: it ends ABORTED, the history ends with ExecutionAborted, and no second deployment starts', async () => {
    // Prepare: a manual rollback to riderapp:13, stopped while it waits for stability
    const world = await worlds.start();
    const sfn = new SFNClient(world.standIn.clientConfig({ maxAttempts: 1 }));
    const stepFunctions = stepFunctionsOf(world);
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: stepFunctions.stateMachineArn,
        name: 'to-be-aborted',
        input: JSON.stringify({ cluster: RIDERAPP.cluster, service: RIDERAPP.service, target: { taskDefinition: 'riderapp:13' }, confirm: 'CONFIRM' }),
      }),
    );
    const record = stepFunctions.get(executionArn!)!;
    for (let i = 0; i < 500 && !record.history.some((event) => event.type === 'TaskStateEntered' && JSON.stringify(event).includes('CheckStability')); i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }

    // Act
    await sfn.send(new StopExecutionCommand({ executionArn, error: 'Aborted', cause: 'stopped by alice' }));
    await stepFunctions.settle();

    // Assess
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(described.status).toBe('ABORTED');
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 1 }));
    expect(history.events?.[0]).toMatchObject({ type: 'ExecutionAborted', executionAbortedEventDetails: { error: 'Aborted', cause: 'stopped by alice' } });
    expect(world.standIn.calls.succeeded('UpdateService', 'ECS')).toHaveLength(1);
  });

  it('`ecs-rollback abort <arn> --json` stops a running rollback; the status-change rule\'s ReleaseLock frees its lock', async () => {
    // Prepare: a manual rollback to riderapp:13 that holds the service's lock while it waits for stability
    const world = await worlds.start();
    const executionArn = await startedAndWaiting(world, 'to-abort');
    expect(await lockHolder(world)).toBe(executionArn);
    const cli = cliIo(world);

    // Act
    const code = await runCli(['abort', executionArn, '--reason', 'wrong target', '--json'], cli.io);
    await stepFunctionsOf(world).settle();
    const released = await world.handlers.ReleaseLock(await statusChangeEvent(world, executionArn), {} as Context);

    // Assess
    expect(code, cli.stderr()).toBe(0);
    expect(JSON.parse(cli.stdout())).toMatchObject({ executionArn, stopped: true, status: 'ABORTED', error: 'AbortedByOperator', cause: 'Stopped with ecs-rollback abort by alice: wrong target' });
    expect(stepFunctionsOf(world).get(executionArn)).toMatchObject({ status: 'ABORTED', error: 'AbortedByOperator' });
    expect(released).toMatchObject({ released: true });
    expect(await lockHolder(world)).toBeUndefined();
    expect(world.standIn.calls.succeeded('UpdateService', 'ECS')).toHaveLength(1);
  });

  it('after `ecs-rollback abort`, the next rollback of the service takes the lock over even when the status-change event was lost', async () => {
    // Prepare: the aborted execution's lock is still in the table (no ReleaseLock from the rule)
    const world = await worlds.start();
    const aborted = await startedAndWaiting(world, 'to-abort');
    expect(await runCli(['abort', aborted], cliIo(world).io)).toBe(0);
    await stepFunctionsOf(world).settle();
    expect(await lockHolder(world)).toBe(aborted);
    const cli = cliIo(world);

    // Act
    const code = await runCli(['start', '--project', 'riderapp', '--cluster', RIDERAPP.cluster, '--service', RIDERAPP.service, '--to', 'riderapp:14', '--yes', '--wait'], cli.io);

    // Assess
    expect(code, `out: ${cli.stdout()} err: ${cli.stderr()}`).toBe(0);
    expect(cli.stdout()).not.toContain('RollbackInProgress');
    expect(taskDefinitionOfService(world)).toMatch(/:task-definition\/riderapp:14$/);
    expect(await lockHolder(world)).toBeUndefined();
  });

  it('answers DescribeExecution for an execution the harness ran directly, and ExecutionDoesNotExist for an unknown one', async () => {
    const { world, event } = await worlds.failedDeployment();
    const sfn = new SFNClient(world.standIn.clientConfig({ maxAttempts: 1 }));
    const { runRollback } = await import('../../local/harness/run');

    const run = await runRollback(world, event, { executionName: 'from-the-harness' });
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: run.result.executionArn }));
    const unknown = sfn.send(new DescribeExecutionCommand({ executionArn: stepFunctionsOf(world).executionArnFor('nobody') }));

    expect(described).toMatchObject({ name: 'from-the-harness', status: run.result.status });
    await expect(unknown).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
  });
});

/** Starts a manual rollback to riderapp:13 through StartExecution and waits until it polls for stability (it holds the lock). */
async function startedAndWaiting(world: World, name: string): Promise<string> {
  const sfn = new SFNClient(world.standIn.clientConfig({ maxAttempts: 1 }));
  const stepFunctions = stepFunctionsOf(world);
  const { executionArn } = await sfn.send(
    new StartExecutionCommand({
      stateMachineArn: stepFunctions.stateMachineArn,
      name,
      input: JSON.stringify({ cluster: RIDERAPP.cluster, service: RIDERAPP.service, target: { taskDefinition: 'riderapp:13' }, confirm: 'CONFIRM' }),
    }),
  );
  const record = stepFunctions.get(executionArn as string);
  for (let i = 0; i < 1000 && !record?.history.some((event) => event.type === 'TaskStateEntered' && JSON.stringify(event).includes('CheckStability')); i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return executionArn as string;
}

/** The execution holding riderapp-service's lock, read from the state table. */
async function lockHolder(world: World): Promise<string | undefined> {
  const out = await world.stateTable.client.send(
    new GetItemCommand({ TableName: world.stateTable.tableName, Key: { id: { S: lockKey(RIDERAPP.cluster, RIDERAPP.service) } }, ConsistentRead: true }),
  );
  return out.Item?.holder?.S;
}

/** The "Step Functions Execution Status Change" event EventBridge delivers for an ended execution (the lock-release rule's target input). */
async function statusChangeEvent(world: World, executionArn: string): Promise<unknown> {
  const sfn = new SFNClient(world.standIn.clientConfig({ maxAttempts: 1 }));
  const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  return {
    version: '0',
    id: 'status-change-1',
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: world.model.account,
    time: described.stopDate?.toISOString(),
    region: world.model.region,
    resources: [executionArn],
    detail: {
      executionArn,
      stateMachineArn: described.stateMachineArn,
      name: described.name,
      status: described.status,
      startDate: described.startDate?.getTime(),
      stopDate: described.stopDate?.getTime(),
      input: described.input,
      output: null,
    },
  };
}
