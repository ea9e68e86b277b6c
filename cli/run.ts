/**
 * The I/O layer of `ecs-rollback`: everything it touches (Step Functions client, stdin,
 * stdout, stderr, env, clock) comes in through CliIo, so tests drive it in-process.
 */
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { SFNClient } from '@aws-sdk/client-sfn';
import {
  type AbortCommand,
  buildStartInput,
  defaultRequester as defaultRequesterOf,
  type Command,
  describeExplicitTarget,
  describeSelector,
  executionArnFor,
  executionNameFor,
  type GlobalOptions,
  type HistoryCommand,
  isExecutionArn,
  parseCommand,
  regionOfArn,
  type DoctorCommand,
  type SelftestCommand,
  type StartCommand,
  type StatusCommand,
  stateMachineNameFor,
  type VersionCommand,
} from './args';
import packageJson from '../package.json' with { type: 'json' };
import { EXIT, UsageError } from './exit-codes';
import {
  type ExecutionView,
  formatHistoryTable,
  HELP,
  type HistoryRow,
  historyRow,
  isExecutionEnd,
  matchesSelector,
  newProgressMemo,
  outcomeOf,
  progressLines,
} from './format';
import { type AwsConfigFor, defaultAwsConfig, locateStateMachine, readDeployment } from './deployment';
import { doctorFindings, formatFindings } from './doctor';
import { formatSelftest, runSelftests } from './selftest';
import {
  CliAwsError,
  describeExecution,
  executionHistory,
  findStateMachineArn,
  recentExecutionArns,
  startExecution,
  stopExecution,
  ABORTED_BY_OPERATOR,
} from './sfn';

/** Something text can be written to. */
export interface TextSink {
  write(text: string): unknown;
}

/** What the CLI reads and writes, given by the entry point (real process) or a test. */
export interface CliIo {
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The Step Functions client for a region (undefined: the SDK's own default). */
  readonly createClient: (region: string | undefined) => SFNClient;
  readonly sleep?: (milliseconds: number) => Promise<void>;
  readonly now?: () => Date;
  /** A few random characters that make execution names unique. */
  readonly randomSuffix?: () => string;
  /** SDK configuration of the other services doctor and selftest read (default: the region only). */
  readonly awsConfig?: AwsConfigFor;
}

const STATE_MACHINE_ENV = 'ECS_ROLLBACK_STATE_MACHINE_ARN';

const defaultSleep = (milliseconds: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, milliseconds);
  });

function println(sink: TextSink, text = ''): void {
  sink.write(`${text}\n`);
}

function regionFor(global: GlobalOptions, env: CliIo['env'], executionArn?: string): string | undefined {
  return (
    global.region ??
    regionOfArn(global.stateMachineArn) ??
    regionOfArn(executionArn) ??
    (global.project === undefined ? regionOfArn(env[STATE_MACHINE_ENV]) : undefined)
  );
}

async function resolveStateMachine(
  global: GlobalOptions,
  env: CliIo['env'],
  client: SFNClient,
  region: string | undefined,
): Promise<string> {
  if (global.stateMachineArn !== undefined) return global.stateMachineArn;
  if (global.project !== undefined) {
    const name = stateMachineNameFor(global.project);
    const arn = await findStateMachineArn(client, name);
    if (arn === undefined) {
      throw new UsageError(
        `no state machine named ${name} in ${region ?? 'the default region'}: deploy it (npx cdk deploy -c project=${global.project}), check --region, or pass --state-machine-arn`,
      );
    }
    return arn;
  }
  const fromEnv = env[STATE_MACHINE_ENV]?.trim();
  if (fromEnv) return fromEnv;
  throw new UsageError(`no state machine: pass --state-machine-arn or set ${STATE_MACHINE_ENV} (or pass --project)`);
}

function readLine(stdin: CliIo['stdin']): Promise<string | undefined> {
  const lines = createInterface({ input: stdin, terminal: false });
  return new Promise((resolve) => {
    lines.once('line', (line) => {
      resolve(line);
      lines.close();
    });
    lines.once('close', () => resolve(undefined));
  });
}

/** The version of this CLI (the package's). */
export const CLI_VERSION: string = packageJson.version;

function printJson(sink: TextSink, value: unknown): void {
  sink.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** What `start --wait` and `status` print with --json. */
function outcomeJson(view: ExecutionView, executionArn: string) {
  const outcome = outcomeOf(view);
  return {
    executionArn,
    name: view.name,
    status: view.status,
    ...(view.startDate === undefined ? {} : { startDate: view.startDate.toISOString() }),
    ...(view.stopDate === undefined ? {} : { stopDate: view.stopDate.toISOString() }),
    outcome: outcome.kind,
    exitCode: outcome.exitCode,
    summary: outcome.lines,
  };
}

async function follow(client: SFNClient, executionArn: string, intervalSeconds: number, io: CliIo, json = false): Promise<number> {
  const sleep = io.sleep ?? defaultSleep;
  const memo = newProgressMemo();
  const progress = json ? io.stderr : io.stdout;
  for (;;) {
    const events = await executionHistory(client, executionArn);
    for (const line of progressLines(events, memo)) println(progress, line);
    if (events.some(isExecutionEnd)) {
      const view = await describeExecution(client, executionArn, events);
      const outcome = outcomeOf(view);
      if (json) {
        printJson(io.stdout, outcomeJson(view, executionArn));
        return outcome.exitCode;
      }
      println(io.stdout);
      for (const line of outcome.lines) println(io.stdout, line);
      return outcome.exitCode;
    }
    await sleep(intervalSeconds * 1000);
  }
}

async function runStart(command: StartCommand, io: CliIo): Promise<number> {
  const input = buildStartInput(command, io.env);
  const where = describeSelector(command.selector);
  if (!command.dryRun && !command.yes && io.stdin.isTTY !== true) {
    throw new UsageError(
      `not rolling back ${where} without confirmation: stdin is not a terminal. Pass --yes to confirm (or --dry-run to see the plan only)`,
    );
  }
  const region = regionFor(command.global, io.env);
  const client = io.createClient(region);
  const stateMachineArn = await resolveStateMachine(command.global, io.env, client, region);
  println(
    io.stderr,
    `${command.dryRun ? 'Dry run: planning' : 'Rolling back'} ${where} to ${describeExplicitTarget(command.target)}${
      command.rollbackType === undefined ? '' : ` (type ${command.rollbackType})`
    }.`,
  );
  if (!command.dryRun && !command.yes) {
    io.stderr.write(`Type CONFIRM to roll back ${where}: `);
    const answer = await readLine(io.stdin);
    if (answer?.trim() !== 'CONFIRM') {
      println(io.stderr, 'Not confirmed: nothing was started.');
      return EXIT.ABORTED;
    }
  }
  const name = executionNameFor(input, (io.now ?? (() => new Date()))(), (io.randomSuffix ?? (() => randomBytes(2).toString('hex')))());
  const executionArn = await startExecution(client, stateMachineArn, name, input);
  const json = command.global.json === true;
  if (!json) println(io.stdout, executionArn);
  if (!command.wait) {
    if (json) printJson(io.stdout, { executionArn, name, status: 'RUNNING', input });
    println(io.stderr, `Started. Follow it with: ecs-rollback status ${executionArn}`);
    return EXIT.OK;
  }
  if (json) println(io.stderr, executionArn);
  return follow(client, executionArn, command.intervalSeconds, io, json);
}

/** The execution a command names (an ARN, or a name in the project's state machine), and a client in its Region. */
async function executionOf(
  command: StatusCommand | AbortCommand,
  io: CliIo,
): Promise<{ client: ReturnType<CliIo['createClient']>; executionArn: string; json: boolean }> {
  const givenArn = isExecutionArn(command.execution) ? command.execution : undefined;
  const region = regionFor(command.global, io.env, givenArn);
  const client = io.createClient(region);
  const executionArn =
    givenArn ?? executionArnFor(await resolveStateMachine(command.global, io.env, client, region), command.execution);
  return { client, executionArn, json: command.global.json === true };
}

async function runStatus(command: StatusCommand, io: CliIo): Promise<number> {
  const { client, executionArn, json } = await executionOf(command, io);
  if (command.follow) {
    println(json ? io.stderr : io.stdout, `Following ${executionArn}`);
    return follow(client, executionArn, command.intervalSeconds, io, json);
  }
  const view = await describeExecution(client, executionArn);
  const outcome = outcomeOf(view);
  if (json) {
    printJson(io.stdout, outcomeJson(view, executionArn));
    return outcome.exitCode;
  }
  println(io.stdout, `${view.name}: ${view.status}${view.startDate === undefined ? '' : ` (started ${view.startDate.toISOString()})`}`);
  for (const line of outcome.lines) println(io.stdout, line);
  return outcome.exitCode;
}

async function runHistory(command: HistoryCommand, io: CliIo): Promise<number> {
  const region = regionFor(command.global, io.env);
  const client = io.createClient(region);
  const stateMachineArn = await resolveStateMachine(command.global, io.env, client, region);
  const filtered = command.selector.cluster !== undefined;
  const scanLimit = filtered ? Math.min(command.limit * 5, 500) : command.limit;
  const now = (io.now ?? (() => new Date()))();
  const rows: HistoryRow[] = [];
  for (const executionArn of await recentExecutionArns(client, stateMachineArn, scanLimit)) {
    const view = await describeExecution(client, executionArn);
    if (!matchesSelector(view, command.selector)) continue;
    rows.push(historyRow(view, now));
    if (rows.length >= command.limit) break;
  }
  if (command.global.json === true) {
    printJson(io.stdout, rows);
    return EXIT.OK;
  }
  if (rows.length === 0) {
    println(io.stdout, `No rollbacks of ${describeSelector(command.selector)} yet.`);
    return EXIT.OK;
  }
  println(io.stdout, formatHistoryTable(rows));
  return EXIT.OK;
}

async function runDoctor(command: DoctorCommand, io: CliIo): Promise<number> {
  const region = regionFor(command.global, io.env);
  const sfn = io.createClient(region);
  const stateMachineArn = await locateStateMachine(command.global, sfn, region);
  const deployment = await readDeployment(stateMachineArn, sfn, io.awsConfig ?? defaultAwsConfig, region ?? regionOfArn(stateMachineArn));
  const project = command.global.project ?? deployment.tags['ecs-auto-rollback:project'] ?? deployment.stateMachineName;
  const findings = await doctorFindings(deployment, sfn, io.awsConfig ?? defaultAwsConfig, project, io.now ?? (() => new Date()));
  const exitCode = findings.some((f) => f.status === 'fail') ? EXIT.DOCTOR_FAILURES : findings.some((f) => f.status === 'warn') ? EXIT.DOCTOR_WARNINGS : EXIT.OK;
  if (command.global.json === true) {
    printJson(io.stdout, { stateMachineArn, ...(deployment.stackName === undefined ? {} : { stackName: deployment.stackName }), exitCode, findings });
  } else {
    println(io.stdout, `Checking ${deployment.stateMachineName}${deployment.stackName === undefined ? '' : ` (stack ${deployment.stackName})`}`);
    println(io.stdout, formatFindings(findings));
  }
  return exitCode;
}

async function runSelftest(command: SelftestCommand, io: CliIo): Promise<number> {
  const region = regionFor(command.global, io.env);
  const sfn = io.createClient(region);
  const stateMachineArn = await locateStateMachine(command.global, sfn, region);
  const deployment = await readDeployment(stateMachineArn, sfn, io.awsConfig ?? defaultAwsConfig, region ?? regionOfArn(stateMachineArn));
  if (deployment.services === undefined) {
    throw new UsageError(`cannot read the watched services of ${deployment.stateMachineName}: ${deployment.servicesProblem ?? 'unknown'} (run ecs-rollback doctor)`);
  }
  const json = command.global.json === true;
  const progress = json ? io.stderr : io.stdout;
  println(progress, `Self-test of ${deployment.services.length} service(s), ${command.concurrency} at a time: dry runs, nothing is changed.`);
  const requestedBy = defaultRequesterOf(io.env);
  const results = await runSelftests(sfn, {
    stateMachineArn,
    services: deployment.services,
    concurrency: command.concurrency,
    intervalSeconds: command.intervalSeconds,
    ...(requestedBy === undefined ? {} : { requestedBy }),
    sleep: io.sleep ?? defaultSleep,
    now: io.now ?? (() => new Date()),
    randomSuffix: io.randomSuffix ?? (() => randomBytes(2).toString('hex')),
    onStart: (service, executionArn) => println(io.stderr, `started ${service.cluster}/${service.service}: ${executionArn}`),
  });
  const exitCode = results.some((r) => r.result === 'error') ? EXIT.SELFTEST_FAILED : EXIT.OK;
  if (json) printJson(io.stdout, { stateMachineArn, exitCode, services: results });
  else println(io.stdout, formatSelftest(results));
  return exitCode;
}

function runVersion(command: VersionCommand, io: CliIo): Promise<number> {
  if (command.json) printJson(io.stdout, { version: CLI_VERSION });
  else println(io.stdout, `ecs-rollback ${CLI_VERSION}`);
  return Promise.resolve(EXIT.OK);
}

/**
 * Stops a running rollback. Its service lock is freed by the stack's rule on the execution's
 * ABORTED status change (ReleaseLock); should that event be lost, the next rollback of the service
 * takes the lock over, since its holder is no longer RUNNING.
 */
async function runAbort(command: AbortCommand, io: CliIo): Promise<number> {
  const { client, executionArn, json } = await executionOf(command, io);
  const view = await describeExecution(client, executionArn);
  if (view.status !== 'RUNNING') {
    if (json) printJson(io.stdout, { executionArn, name: view.name, stopped: false, status: view.status });
    else println(io.stdout, `${view.name}: already ${view.status}; nothing to stop.`);
    return EXIT.OK;
  }
  const who = io.env.GITHUB_ACTOR ?? io.env.USER ?? 'someone';
  const cause = `Stopped with ecs-rollback abort by ${who}${command.reason === undefined ? '' : `: ${command.reason}`}`;
  const stopDate = await stopExecution(client, executionArn, cause);
  if (json) {
    printJson(io.stdout, {
      executionArn,
      name: view.name,
      stopped: true,
      status: 'ABORTED',
      ...(stopDate === undefined ? {} : { stopDate: stopDate.toISOString() }),
      error: ABORTED_BY_OPERATOR,
      cause,
    });
    return EXIT.OK;
  }
  println(io.stdout, `${view.name}: stopped (ABORTED).`);
  println(
    io.stdout,
    'Its service lock is released by the stack when Step Functions reports the stop, and is taken over by the next rollback of the service if that report is lost.',
  );
  println(io.stdout, 'Steps it had already taken stay done: check the service (ecs-rollback status shows how far it got).');
  return EXIT.OK;
}

function run(command: Command, io: CliIo): Promise<number> {
  switch (command.kind) {
    case 'version':
      return runVersion(command, io);
    case 'help':
      println(io.stdout, HELP[command.topic]);
      return Promise.resolve(EXIT.OK);
    case 'start':
      return runStart(command, io);
    case 'status':
      return runStatus(command, io);
    case 'history':
      return runHistory(command, io);
    case 'abort':
      return runAbort(command, io);
    case 'doctor':
      return runDoctor(command, io);
    case 'selftest':
      return runSelftest(command, io);
  }
}

/** Runs `ecs-rollback` with these arguments; resolves to the exit code (see EXIT). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    return await run(parseCommand(argv), io);
  } catch (error) {
    if (error instanceof UsageError) {
      println(io.stderr, `ecs-rollback: ${error.message}`);
      return EXIT.USAGE;
    }
    if (error instanceof CliAwsError) {
      println(io.stderr, `ecs-rollback: ${error.message}`);
      if (error.hint !== undefined) println(io.stderr, `  what to do: ${error.hint}`);
      return EXIT.AWS_ERROR;
    }
    println(io.stderr, `ecs-rollback: unexpected error: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.AWS_ERROR;
  }
}
