import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/run';
import { captureIo, EXECUTION_ARN, EXECUTION_NAME, failedExecution, failedHistory, STARTED, STATE_MACHINE_ARN, STOPPED, succeededState } from './fixtures';

const sfnMock = mockClient(SFNClient);
const ROOT = join(import.meta.dirname, '..', '..');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const SM = ['--state-machine-arn', STATE_MACHINE_ARN];

beforeEach(() => {
  sfnMock.reset();
});

describe('ecs-rollback --version', () => {
  it.each([
    [['--version'], `ecs-rollback ${VERSION}\n`],
    [['-V'], `ecs-rollback ${VERSION}\n`],
    [['--version', '--json'], `${JSON.stringify({ version: VERSION }, null, 2)}\n`],
  ])('%j prints the package version and calls nothing', async (argv, expected) => {
    // Prepare
    const run = captureIo();

    // Act
    const code = await runCli(argv, run.io);

    // Assess
    expect(code).toBe(0);
    expect(run.stdout()).toBe(expected);
    expect(sfnMock.calls()).toHaveLength(0);
  });
});

describe('--json', () => {
  it('start: prints the started execution as JSON and nothing else on stdout', async () => {
    // Prepare
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: STARTED });
    const run = captureIo();

    // Act
    const code = await runCli(['start', '--cluster', 'riderapp-cluster', '--service', 'riderapp-service', '--dry-run', '--json', ...SM], run.io);

    // Assess
    expect(code).toBe(0);
    expect(JSON.parse(run.stdout())).toMatchObject({
      executionArn: EXECUTION_ARN,
      status: 'RUNNING',
      input: { cluster: 'riderapp-cluster', service: 'riderapp-service', dryRun: true },
    });
  });

  it('start --wait: follows on stderr and prints the outcome as JSON, with the exit code of a failed rollback', async () => {
    // Prepare
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: STARTED });
    sfnMock.on(GetExecutionHistoryCommand).resolves({ events: failedHistory() });
    sfnMock.on(DescribeExecutionCommand).resolves(failedExecution());
    const run = captureIo();

    // Act
    const code = await runCli(['start', '--cluster', 'riderapp-cluster', '--service', 'riderapp-service', '--to', 'riderapp:14', '--yes', '--wait', '--json', ...SM], run.io);

    // Assess
    expect(code).toBe(1);
    const outcome = JSON.parse(run.stdout());
    expect(outcome).toMatchObject({ executionArn: EXECUTION_ARN, name: EXECUTION_NAME, status: 'FAILED', outcome: 'failed', exitCode: 1 });
    expect(outcome.summary.join('\n')).toContain('UpdateService');
    expect(run.stderr()).toContain('UpdateService');
  });

  it('status --no-follow: the execution and its outcome as JSON', async () => {
    // Prepare
    sfnMock.on(DescribeExecutionCommand).resolves({
      executionArn: EXECUTION_ARN,
      name: EXECUTION_NAME,
      status: 'SUCCEEDED',
      startDate: STARTED,
      stopDate: STOPPED,
      input: JSON.stringify(succeededState().input),
      output: JSON.stringify(succeededState()),
    });
    const run = captureIo();

    // Act
    const code = await runCli(['status', EXECUTION_ARN, '--no-follow', '--json'], run.io);

    // Assess
    expect(code).toBe(0);
    expect(JSON.parse(run.stdout())).toMatchObject({
      executionArn: EXECUTION_ARN,
      status: 'SUCCEEDED',
      startDate: STARTED.toISOString(),
      stopDate: STOPPED.toISOString(),
      outcome: 'rolled-back',
      exitCode: 0,
    });
  });

  it('history --service (any cluster, with --project): the matching rows as a JSON array', async () => {
    // Prepare
    const other = EXECUTION_ARN.replace(EXECUTION_NAME, 'worker');
    sfnMock.on(ListExecutionsCommand).resolves({
      executions: [
        { executionArn: EXECUTION_ARN, stateMachineArn: STATE_MACHINE_ARN, name: EXECUTION_NAME, status: 'SUCCEEDED', startDate: STARTED },
        { executionArn: other, stateMachineArn: STATE_MACHINE_ARN, name: 'worker', status: 'SUCCEEDED', startDate: STARTED },
      ],
    });
    sfnMock.on(DescribeExecutionCommand, { executionArn: EXECUTION_ARN }).resolves({
      name: EXECUTION_NAME,
      status: 'SUCCEEDED',
      startDate: STARTED,
      stopDate: STOPPED,
      input: JSON.stringify(succeededState().input),
      output: JSON.stringify(succeededState()),
    });
    sfnMock.on(DescribeExecutionCommand, { executionArn: other }).resolves({
      name: 'worker',
      status: 'SUCCEEDED',
      startDate: STARTED,
      stopDate: STOPPED,
      input: JSON.stringify({ cluster: 'batch-cluster', service: 'riderapp-worker', dryRun: true }),
    });
    const run = captureIo();

    // Act
    const code = await runCli(['history', '--project', 'riderapp', '--service', 'riderapp-service', '--json', ...SM], run.io);

    // Assess
    expect(code).toBe(0);
    const rows = JSON.parse(run.stdout()) as Array<Record<string, string>>;
    expect(rows).toEqual([expect.objectContaining({ service: 'riderapp-cluster/riderapp-service', execution: EXECUTION_NAME, outcome: 'rolled back' })]);
  });

  it('history --service without --project or --cluster is a usage error that names what is missing', async () => {
    // Prepare
    const run = captureIo();

    // Act
    const code = await runCli(['history', '--service', 'riderapp-service'], run.io);

    // Assess
    expect(code).toBe(2);
    expect(run.stderr()).toContain('--service needs --project');
    expect(sfnMock.calls()).toHaveLength(0);
  });
});
