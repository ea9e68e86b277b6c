import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  SFNServiceException,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/run';
import type { RollbackState } from '../../lambdas/shared/types';
import {
  captureIo,
  EXECUTION_ARN,
  EXECUTION_NAME,
  failedExecution,
  failedHistory,
  failedState,
  STARTED,
  STATE_MACHINE_ARN,
  STOPPED,
  succeededHistory,
  succeededState,
  TASK_DEFINITION_ARN,
} from './fixtures';

const sfnMock = mockClient(SFNClient);

const SERVICE = ['--cluster', 'riderapp-cluster', '--service', 'riderapp-service'];
const SM = ['--state-machine-arn', STATE_MACHINE_ARN];
const DIGEST = `sha256:${'a1b2c3d4'.repeat(8)}`;

function startedInput(): unknown {
  const call = sfnMock.commandCalls(StartExecutionCommand)[0];
  return JSON.parse(call?.args[0].input.input ?? 'null');
}

describe('ecs-rollback start', () => {
  beforeEach(() => {
    sfnMock.reset();
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: STARTED });
  });

  it.each([
    ['riderapp:14', { taskDefinition: 'riderapp:14' }],
    [TASK_DEFINITION_ARN(14), { taskDefinition: TASK_DEFINITION_ARN(14) }],
    [DIGEST, { imageDigest: DIGEST }],
    ['3f2a9c1', { commit: '3f2a9c1' }],
    ['3f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39', { commit: '3f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39' }],
    ['v1.4.2', { imageTag: 'v1.4.2' }],
    ['14', { imageTag: '14' }],
  ])('rolls riderapp-service back to --to %s as %o', async (to, target) => {
    // Prepare
    const run = captureIo();

    // Act
    const code = await runCli(['start', ...SERVICE, '--to', to, '--yes', ...SM], run.io);

    // Assess
    expect(code).toBe(0);
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: STATE_MACHINE_ARN,
      name: EXECUTION_NAME,
    });
    expect(startedInput()).toEqual({
      cluster: 'riderapp-cluster',
      service: 'riderapp-service',
      target,
      dryRun: false,
      confirm: 'CONFIRM',
      requestedBy: 'alice',
    });
    expect(run.stdout()).toBe(`${EXECUTION_ARN}\n`);
    expect(run.regions).toEqual(['us-east-1']);
  });

  it('finds the riderapp state machine by project name and starts the project service with type and reason', async () => {
    // Prepare
    sfnMock.on(ListStateMachinesCommand).resolves({
      stateMachines: [
        { name: 'billing-ecs-auto-rollback', stateMachineArn: STATE_MACHINE_ARN.replace('riderapp', 'billing'), type: 'STANDARD', creationDate: STARTED },
        { name: 'riderapp-ecs-auto-rollback', stateMachineArn: STATE_MACHINE_ARN, type: 'STANDARD', creationDate: STARTED },
      ],
    });
    const run = captureIo({ env: { GITHUB_ACTOR: 'octocat', USER: 'runner' } });

    // Act
    const code = await runCli(
      ['start', '--project', 'riderapp', '--type', 'full', '--reason', 'riderapp:15 returns 500 on /rides', '--yes'],
      run.io,
    );

    // Assess
    expect(code).toBe(0);
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: STATE_MACHINE_ARN });
    expect(startedInput()).toEqual({
      project: 'riderapp',
      dryRun: false,
      confirm: 'CONFIRM',
      reason: 'riderapp:15 returns 500 on /rides',
      requestedBy: 'octocat (GitHub Actions)',
      rollbackType: 'full',
    });
  });

  it('takes the state machine from ECS_ROLLBACK_STATE_MACHINE_ARN', async () => {
    // Prepare
    const run = captureIo({ env: { ECS_ROLLBACK_STATE_MACHINE_ARN: STATE_MACHINE_ARN } });

    // Act
    const code = await runCli(['start', ...SERVICE, '--yes'], run.io);

    // Assess
    expect(code).toBe(0);
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: STATE_MACHINE_ARN });
    expect(startedInput()).toEqual({ cluster: 'riderapp-cluster', service: 'riderapp-service', dryRun: false, confirm: 'CONFIRM' });
  });

  it('starts a dry run without confirmation, even when stdin is not a terminal', async () => {
    // Prepare
    const run = captureIo();

    // Act
    const code = await runCli(['start', ...SERVICE, '--to', 'riderapp:14', '--dry-run', ...SM], run.io);

    // Assess
    expect(code).toBe(0);
    expect(startedInput()).toEqual({
      cluster: 'riderapp-cluster',
      service: 'riderapp-service',
      target: { taskDefinition: 'riderapp:14' },
      dryRun: true,
      requestedBy: 'alice',
    });
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, { name: 'dryrun-riderapp-service-20250304T103000Z-3f9a' });
  });

  it('refuses to roll back without --yes when stdin is not a terminal, and starts nothing', async () => {
    // Prepare
    const run = captureIo();

    // Act
    const code = await runCli(['start', ...SERVICE, '--to', 'riderapp:14', ...SM], run.io);

    // Assess
    expect(code).toBe(2);
    expect(run.stderr()).toContain('stdin is not a terminal. Pass --yes to confirm');
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('rolls back after the person types CONFIRM at the prompt', async () => {
    // Prepare
    const run = captureIo({ tty: true });
    run.stdin.write('CONFIRM\n');

    // Act
    const code = await runCli(['start', ...SERVICE, '--to', 'riderapp:14', ...SM], run.io);

    // Assess
    expect(code).toBe(0);
    expect(run.stderr()).toContain('Type CONFIRM to roll back riderapp-service in riderapp-cluster');
    expect(startedInput()).toMatchObject({ target: { taskDefinition: 'riderapp:14' }, confirm: 'CONFIRM' });
  });

  it.each([['yes\n'], ['confirm\n'], [null]])('aborts with exit 4 and starts nothing when the answer is %j', async (answer) => {
    // Prepare
    const run = captureIo({ tty: true });
    if (answer === null) run.stdin.end();
    else run.stdin.write(answer);

    // Act
    const code = await runCli(['start', ...SERVICE, '--to', 'riderapp:14', ...SM], run.io);

    // Assess
    expect(code).toBe(4);
    expect(run.stderr()).toContain('Not confirmed: nothing was started.');
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('follows the execution with --wait and exits 1 when the rollback fails', async () => {
    // Prepare
    sfnMock.on(GetExecutionHistoryCommand).resolves({ events: failedHistory() });
    sfnMock.on(DescribeExecutionCommand).resolves(failedExecution());
    const run = captureIo();

    // Act
    const code = await runCli(['start', ...SERVICE, '--to', 'riderapp:14', '--yes', '--wait', ...SM], run.io);

    // Assess
    expect(code).toBe(1);
    expect(run.stdout()).toContain(
      'Rollback of riderapp-service in riderapp-cluster failed at UpdateService: AwsCallError: UpdateService: AccessDeniedException',
    );
  });

  it('explains an AWS error and exits 3', async () => {
    // Prepare
    sfnMock.on(StartExecutionCommand).rejects(
      new SFNServiceException({ name: 'AccessDeniedException', $fault: 'client', $metadata: {}, message: 'not authorized to perform states:StartExecution' }),
    );
    const run = captureIo();

    // Act
    const code = await runCli(['start', ...SERVICE, '--yes', ...SM], run.io);

    // Assess
    expect(code).toBe(3);
    expect(run.stderr()).toContain('StartExecution failed: AccessDeniedException: not authorized');
    expect(run.stderr()).toContain('what to do: the caller needs states:StartExecution');
  });
});

describe('ecs-rollback status', () => {
  beforeEach(() => {
    sfnMock.reset();
  });

  it('follows a rollback of riderapp:15 to riderapp:14 until it succeeds', async () => {
    // Prepare
    const { partial, full } = succeededHistory();
    sfnMock.on(GetExecutionHistoryCommand).resolvesOnce({ events: partial }).resolves({ events: full });
    sfnMock.on(DescribeExecutionCommand).resolves({
      executionArn: EXECUTION_ARN,
      name: EXECUTION_NAME,
      status: 'SUCCEEDED',
      startDate: STARTED,
      stopDate: STOPPED,
      output: JSON.stringify(succeededState()),
    });
    const run = captureIo();

    // Act
    const code = await runCli(['status', EXECUTION_ARN], run.io);

    // Assess
    expect(code).toBe(0);
    const out = run.stdout();
    for (const step of ['Prepare', 'ResolveTarget', 'UpdateService', 'CheckStability', 'ProbeHealth', 'NotifySuccess', 'ReleaseLock']) {
      expect(out).toContain(`  ${step}\n`);
    }
    expect(out.match(/ {2}CheckStability\n/g)).toHaveLength(1);
    expect(out).toContain('target: riderapp:14 is the last deployment that succeeded before riderapp:15');
    expect(out).toContain('RECOVERED: 2/2 tasks of riderapp:14 running, targets healthy');
    expect(out).toContain('Rolled back riderapp-service in riderapp-cluster: riderapp:15 → riderapp:14.');
    expect(run.sleeps).toEqual([5000]);
    expect(run.regions).toEqual(['us-east-1']);
  });

  it('prints where and why a failed rollback failed and exits 1', async () => {
    // Prepare
    sfnMock.on(GetExecutionHistoryCommand).resolves({ events: failedHistory() });
    sfnMock.on(DescribeExecutionCommand).resolves(failedExecution());
    const run = captureIo();

    // Act
    const code = await runCli(['status', EXECUTION_ARN], run.io);

    // Assess
    expect(code).toBe(1);
    expect(run.stdout()).toContain('FailedAtUpdateService');
    expect(run.stdout()).toContain(
      'Rollback of riderapp-service in riderapp-cluster failed at UpdateService: AwsCallError: UpdateService: AccessDeniedException: not authorized to perform ecs:UpdateService',
    );
    expect(run.stdout()).toContain('Before the rollback it ran riderapp:15');
  });

  it('reports a running execution once with --no-follow', async () => {
    // Prepare
    sfnMock.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION_ARN, name: EXECUTION_NAME, status: 'RUNNING', startDate: STARTED });
    const run = captureIo();

    // Act
    const code = await runCli(['status', EXECUTION_ARN, '--no-follow'], run.io);

    // Assess
    expect(code).toBe(0);
    expect(run.stdout()).toContain(`${EXECUTION_NAME}: RUNNING`);
    expect(sfnMock).not.toHaveReceivedCommand(GetExecutionHistoryCommand);
  });

  it('accepts an execution name with the project and builds its ARN', async () => {
    // Prepare
    sfnMock.on(ListStateMachinesCommand).resolves({
      stateMachines: [{ name: 'riderapp-ecs-auto-rollback', stateMachineArn: STATE_MACHINE_ARN, type: 'STANDARD', creationDate: STARTED }],
    });
    sfnMock.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION_ARN, name: EXECUTION_NAME, status: 'RUNNING', startDate: STARTED });
    const run = captureIo();

    // Act
    const code = await runCli(['status', EXECUTION_NAME, '--project', 'riderapp', '--no-follow'], run.io);

    // Assess
    expect(code).toBe(0);
    expect(sfnMock).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: EXECUTION_ARN });
  });

  it('says how to find an execution that does not exist and exits 3', async () => {
    // Prepare
    sfnMock.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ $metadata: {}, message: 'Execution Does Not Exist' }));
    const run = captureIo();

    // Act
    const code = await runCli(['status', EXECUTION_ARN, '--no-follow'], run.io);

    // Assess
    expect(code).toBe(3);
    expect(run.stderr()).toContain('DescribeExecution failed: ExecutionDoesNotExist');
    expect(run.stderr()).toContain('ecs-rollback history lists recent executions');
  });
});

describe('ecs-rollback history', () => {
  const WORKER_ARN = EXECUTION_ARN.replace(EXECUTION_NAME, 'manual-riderapp-worker-20250304T090000Z-aaaa');
  const ALARM_ARN = EXECUTION_ARN.replace(EXECUTION_NAME, '8a1b2c3d-4e5f-4a6b-9c7d-0e1f2a3b4c5d');
  const FAILED_ARN = EXECUTION_ARN.replace(EXECUTION_NAME, 'deployment-failed-1');

  beforeEach(() => {
    sfnMock.reset();
    sfnMock.on(ListExecutionsCommand).resolves({
      executions: [
        { executionArn: EXECUTION_ARN, stateMachineArn: STATE_MACHINE_ARN, name: EXECUTION_NAME, status: 'SUCCEEDED', startDate: STARTED },
        { executionArn: WORKER_ARN, stateMachineArn: STATE_MACHINE_ARN, name: 'worker', status: 'SUCCEEDED', startDate: STARTED },
        { executionArn: FAILED_ARN, stateMachineArn: STATE_MACHINE_ARN, name: 'deployment-failed-1', status: 'FAILED', startDate: STARTED },
        { executionArn: ALARM_ARN, stateMachineArn: STATE_MACHINE_ARN, name: 'alarm', status: 'RUNNING', startDate: STARTED },
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
    sfnMock.on(DescribeExecutionCommand, { executionArn: WORKER_ARN }).resolves({
      name: 'manual-riderapp-worker-20250304T090000Z-aaaa',
      status: 'SUCCEEDED',
      startDate: STARTED,
      stopDate: STOPPED,
      input: JSON.stringify({ cluster: 'riderapp-cluster', service: 'riderapp-worker', dryRun: true }),
    });
    sfnMock.on(DescribeExecutionCommand, { executionArn: FAILED_ARN }).resolves({
      name: 'deployment-failed-1',
      status: 'FAILED',
      startDate: new Date('2025-03-04T10:12:35Z'),
      stopDate: new Date('2025-03-04T10:13:05Z'),
      input: JSON.stringify({
        'detail-type': 'ECS Deployment State Change',
        resources: ['arn:aws:ecs:us-east-1:111122223333:service/riderapp-cluster/riderapp-service'],
      }),
      error: 'AwsCallError',
      cause: failedState().failure?.cause,
    });
    const deploymentFailed = failedState();
    const request = deploymentFailed.request as NonNullable<RollbackState['request']>;
    const failedByEcs: RollbackState = {
      ...deploymentFailed,
      request: { ...request, trigger: { kind: 'deployment-failed', id: 'ecs-svc/4520982937154920815', time: '2025-03-04T10:12:31Z', summary: 'ECS deployment failed' } },
    };
    sfnMock.on(GetExecutionHistoryCommand, { executionArn: FAILED_ARN }).resolves({ events: [...failedHistory(failedByEcs)].reverse() });
    sfnMock.on(DescribeExecutionCommand, { executionArn: ALARM_ARN }).resolves({
      name: '8a1b2c3d-4e5f-4a6b-9c7d-0e1f2a3b4c5d',
      status: 'RUNNING',
      startDate: STARTED,
      input: JSON.stringify({
        'detail-type': 'CloudWatch Alarm State Change',
        resources: ['arn:aws:cloudwatch:us-east-1:111122223333:alarm:riderapp-unhealthy-hosts'],
        detail: { alarmName: 'riderapp-unhealthy-hosts' },
      }),
    });
  });

  it('lists recent rollbacks of riderapp-service with trigger, versions, outcome and duration', async () => {
    // Prepare
    const run = captureIo();

    // Act
    const code = await runCli(['history', ...SERVICE, ...SM], run.io);

    // Assess
    expect(code).toBe(0);
    const [header, ...rows] = run.stdout().trimEnd().split('\n');
    expect(header).toMatch(/^STARTED \(UTC\)\s+SERVICE\s+TRIGGER\s+FROM → TO\s+OUTCOME\s+DURATION\s+EXECUTION$/);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(
      /^2025-03-04 10:30Z\s+riderapp-cluster\/riderapp-service\s+manual \(alice\)\s+riderapp:15 → riderapp:14\s+rolled back\s+4m 12s\s+manual-riderapp-service-/,
    );
    expect(rows[1]).toMatch(/deployment failed\s+riderapp:15 → riderapp:14\s+failed at UpdateService\s+30s\s+deployment-failed-1$/);
    expect(rows[2]).toMatch(/alarm riderapp-unhealthy-hosts\s+-\s+running\s+0s/);
    expect(run.stdout()).not.toContain('riderapp-worker');
  });

  it('lists every service of the project when only --project is given, at most --limit rows', async () => {
    // Prepare
    sfnMock.on(ListStateMachinesCommand).resolves({
      stateMachines: [{ name: 'riderapp-ecs-auto-rollback', stateMachineArn: STATE_MACHINE_ARN, type: 'STANDARD', creationDate: STARTED }],
    });
    const run = captureIo();

    // Act
    const code = await runCli(['history', '--project', 'riderapp', '--limit', '2'], run.io);

    // Assess
    expect(code).toBe(0);
    const rows = run.stdout().trimEnd().split('\n').slice(1);
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatch(/riderapp-cluster\/riderapp-worker\s+manual\s+-\s+succeeded\s+4m 12s/);
    expect(sfnMock).toHaveReceivedCommandWith(ListExecutionsCommand, { stateMachineArn: STATE_MACHINE_ARN, maxResults: 2 });
  });

  it('says so when the service has no rollbacks yet', async () => {
    // Prepare
    sfnMock.on(ListExecutionsCommand).resolves({ executions: [] });
    const run = captureIo();

    // Act
    const code = await runCli(['history', ...SERVICE, ...SM], run.io);

    // Assess
    expect(code).toBe(0);
    expect(run.stdout()).toBe('No rollbacks of riderapp-service in riderapp-cluster yet.\n');
  });
});

describe('ecs-rollback usage', () => {
  beforeEach(() => {
    sfnMock.reset();
  });

  it.each([
    [[], 'no command: use start, status, history, abort, doctor or selftest'],
    [['doctor'], 'doctor needs --project <name> or --state-machine-arn <arn>'],
    [['selftest', '--project', 'riderapp', '--concurrency', '0'], '--concurrency must be a whole number from 1 to 10'],
    [['rollback'], 'unknown command "rollback"'],
    [['start'], 'start needs --project <name> or --cluster <cluster> --service <service>'],
    [['start', '--cluster', 'riderapp-cluster', '--yes'], '--cluster and --service go together'],
    [['start', '--project', 'riderapp', '--to', 'sha256:abc'], 'an image digest is sha256: followed by 64 lowercase hex characters'],
    [['start', '--project', 'riderapp', '--to', 'riderapp:latest'], 'a task definition revision looks like riderapp:14'],
    [['start', '--project', 'riderapp', '--to', 'arn:aws:ecs:us-east-1:111122223333:service/riderapp'], 'not a task definition ARN'],
    [['start', '--project', 'riderapp', '--type', 'schema'], '--type must be one of application, infrastructure, database, full'],
    [['start', '--project', 'riderapp', '--limit', '3'], '--limit is not an option of start'],
    [['start', '--project', 'riderapp', '--force'], "unknown option '--force'"],
    [['start', '--project'], "--project <value>' argument missing"],
    [['status'], 'status needs exactly one execution ARN or name'],
    [['status', 'arn:aws:states:us-east-1:111122223333:stateMachine:riderapp-ecs-auto-rollback'], 'not an execution ARN'],
    [['history', '--project', 'riderapp', '--limit', '0'], '--limit must be a whole number from 1 to 100'],
    [['history', '--state-machine-arn', 'riderapp'], 'not a state machine ARN'],
  ])('rejects %j with exit 2 and says what is wrong', async (argv, message) => {
    // Prepare
    const run = captureIo();

    // Act
    const code = await runCli(argv, run.io);

    // Assess
    expect(code).toBe(2);
    expect(run.stderr()).toContain(message);
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('says where to find the state machine when none is given', async () => {
    // Prepare
    const run = captureIo({ env: {} });

    // Act
    const code = await runCli(['start', ...SERVICE, '--yes'], run.io);

    // Assess
    expect(code).toBe(2);
    expect(run.stderr()).toContain('no state machine: pass --state-machine-arn or set ECS_ROLLBACK_STATE_MACHINE_ARN');
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('says how to deploy when the project has no state machine in the region', async () => {
    // Prepare
    sfnMock.on(ListStateMachinesCommand).resolves({ stateMachines: [] });
    const run = captureIo();

    // Act
    const code = await runCli(['start', '--project', 'riderapp', '--region', 'eu-west-1', '--yes'], run.io);

    // Assess
    expect(code).toBe(2);
    expect(run.stderr()).toContain('no state machine named riderapp-ecs-auto-rollback in eu-west-1: deploy it (npx cdk deploy -c project=riderapp)');
    expect(run.regions).toEqual(['eu-west-1']);
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it.each([
    [['--help'], 'Exit codes:'],
    [['start', '--help'], 'asks you to type CONFIRM'],
    [['status', '-h'], '--no-follow'],
    [['history', '--help'], '--limit <n>'],
    [['help', 'start'], '--dry-run'],
  ])('prints help for %j and exits 0', async (argv, text) => {
    // Prepare
    const run = captureIo();

    // Act
    const code = await runCli(argv, run.io);

    // Assess
    expect(code).toBe(0);
    expect(run.stdout()).toContain(text);
    expect(run.stdout()).toContain('4  aborted at the confirmation prompt');
  });
});
