/**
 * Pure argument handling for `ecs-rollback`: argv → a typed command, `--to` → an explicit
 * target, a command → the state machine's ManualStartInput. No I/O here.
 */
import { parseArgs } from 'node:util';
import { excerpt } from '../lambdas/shared/excerpt';
import type { ExplicitTarget, ManualStartInput, RollbackType } from '../lambdas/shared/types';
import { UsageError } from './exit-codes';

/** A value the user typed, as a usage error quotes it (cut when long). */
const quoted = (value: unknown): string => excerpt(JSON.stringify(value) ?? String(value));

export const ROLLBACK_TYPES: readonly RollbackType[] = ['application', 'infrastructure', 'database', 'full'];

/** Name of a project's state machine, as the CDK stack creates it. */
export function stateMachineNameFor(project: string): string {
  return `${project}-ecs-auto-rollback`;
}

/** Options that locate the state machine; valid with every command. */
export interface GlobalOptions {
  readonly stateMachineArn?: string;
  readonly region?: string;
  readonly project?: string;
  /** --json: one JSON document on stdout (progress goes to stderr). */
  readonly json?: boolean;
}

/** Which service a command is about: the project's (default) service, or cluster + service. */
export interface ServiceSelector {
  readonly project?: string;
  readonly cluster?: string;
  readonly service?: string;
}

export type HelpTopic = 'main' | 'start' | 'status' | 'history' | 'abort' | 'doctor' | 'selftest';

export interface HelpCommand {
  readonly kind: 'help';
  readonly topic: HelpTopic;
}

export interface StartCommand {
  readonly kind: 'start';
  readonly global: GlobalOptions;
  readonly selector: ServiceSelector;
  /** The `--to` value as typed, kept for messages. */
  readonly to?: string;
  readonly target?: ExplicitTarget;
  readonly dryRun: boolean;
  readonly reason?: string;
  readonly rollbackType?: RollbackType;
  readonly requestedBy?: string;
  readonly yes: boolean;
  readonly wait: boolean;
  readonly intervalSeconds: number;
}

export interface StatusCommand {
  readonly kind: 'status';
  readonly global: GlobalOptions;
  /** An execution ARN, or an execution name of the state machine named by the global options. */
  readonly execution: string;
  readonly follow: boolean;
  readonly intervalSeconds: number;
}

export interface HistoryCommand {
  readonly kind: 'history';
  readonly global: GlobalOptions;
  readonly selector: ServiceSelector;
  readonly limit: number;
}

/** `doctor`: read-only checks of the deployment and every watched service. */
export interface DoctorCommand {
  readonly kind: 'doctor';
  readonly global: GlobalOptions;
}

/** `selftest`: a dry run per watched service, a few at a time. */
export interface SelftestCommand {
  readonly kind: 'selftest';
  readonly global: GlobalOptions;
  /** How many dry runs at once. */
  readonly concurrency: number;
  readonly intervalSeconds: number;
}

/** `--version`: the CLI's version. */
export interface VersionCommand {
  readonly kind: 'version';
  readonly json: boolean;
}

export interface AbortCommand {
  readonly kind: 'abort';
  readonly global: GlobalOptions;
  /** An execution ARN, or an execution name of the state machine named by the global options. */
  readonly execution: string;
  readonly reason?: string;
}

export type Command = HelpCommand | VersionCommand | StartCommand | StatusCommand | HistoryCommand | AbortCommand | DoctorCommand | SelftestCommand;

const OPTIONS = {
  'state-machine-arn': { type: 'string' },
  region: { type: 'string' },
  project: { type: 'string', short: 'p' },
  cluster: { type: 'string' },
  service: { type: 'string' },
  to: { type: 'string' },
  'dry-run': { type: 'boolean' },
  reason: { type: 'string' },
  type: { type: 'string' },
  'requested-by': { type: 'string' },
  yes: { type: 'boolean', short: 'y' },
  wait: { type: 'boolean' },
  interval: { type: 'string' },
  'no-follow': { type: 'boolean' },
  limit: { type: 'string' },
  concurrency: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
  version: { type: 'boolean', short: 'V' },
} as const;

type OptionName = keyof typeof OPTIONS;

const GLOBAL_OPTIONS: readonly OptionName[] = ['state-machine-arn', 'region', 'project', 'help', 'json', 'version'];

const COMMAND_OPTIONS: Record<Exclude<HelpTopic, 'main'>, readonly OptionName[]> = {
  start: [
    'cluster',
    'service',
    'to',
    'dry-run',
    'reason',
    'type',
    'requested-by',
    'yes',
    'wait',
    'interval',
  ],
  status: ['no-follow', 'interval'],
  history: ['cluster', 'service', 'limit'],
  abort: ['reason'],
  doctor: [],
  selftest: ['concurrency', 'interval'],
};

const COMMANDS = Object.keys(COMMAND_OPTIONS) as Exclude<HelpTopic, 'main'>[];

const FAMILY_REVISION = /^[A-Za-z0-9_-]{1,255}:[1-9][0-9]*$/;
const TASK_DEFINITION_ARN = /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\/[A-Za-z0-9_-]{1,255}:[1-9][0-9]*$/;
const IMAGE_DIGEST = /^sha256:[0-9a-f]{64}$/;
const COMMIT = /^[0-9a-f]{7,40}$/i;
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:\s]+:[^:\s]+$/;
const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[^:\s]+$/;

/**
 * Reads `--to`: `family:NN` or a task definition ARN → taskDefinition, `sha256:…` → imageDigest,
 * 7–40 hex characters → commit, anything else that is a valid tag → imageTag.
 */
export function classifyTarget(value: string): ExplicitTarget {
  const to = value.trim();
  if (to.startsWith('arn:')) {
    if (TASK_DEFINITION_ARN.test(to)) return { taskDefinition: to };
    throw new UsageError(
      `--to ${to}: not a task definition ARN with a revision (arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>)`,
    );
  }
  if (to.startsWith('sha256:')) {
    if (IMAGE_DIGEST.test(to)) return { imageDigest: to };
    throw new UsageError(`--to ${to}: an image digest is sha256: followed by 64 lowercase hex characters`);
  }
  if (to.includes(':')) {
    if (FAMILY_REVISION.test(to)) return { taskDefinition: to };
    throw new UsageError(`--to ${to}: a task definition revision looks like riderapp:14 (family:revision)`);
  }
  if (COMMIT.test(to)) return { commit: to };
  if (IMAGE_TAG.test(to)) return { imageTag: to };
  throw new UsageError(
    `--to ${quoted(value)}: not a revision (riderapp:14), task definition ARN, image tag, sha256: digest or commit SHA`,
  );
}

/** One short phrase for a target: "task definition riderapp:14", "image tag v1.4.2". */
export function describeExplicitTarget(target: ExplicitTarget | undefined): string {
  if (target === undefined) return 'the last known-good version';
  if (target.taskDefinition !== undefined) return `task definition ${shortTaskDefinition(target.taskDefinition)}`;
  if (target.imageDigest !== undefined) return `image ${target.imageDigest}`;
  if (target.commit !== undefined) return `commit ${target.commit}`;
  return `image tag ${target.imageTag ?? '?'}`;
}

/** `arn:…:task-definition/riderapp:14` → `riderapp:14`; other values unchanged. */
export function shortTaskDefinition(value: string): string {
  const slash = value.lastIndexOf('task-definition/');
  return slash >= 0 ? value.slice(slash + 'task-definition/'.length) : value;
}

/** Region part of a Step Functions ARN, if the value is one. */
export function regionOfArn(arn: string | undefined): string | undefined {
  const parts = arn?.split(':');
  return parts !== undefined && parts.length > 4 && parts[0] === 'arn' ? parts[3] : undefined;
}

/** The execution ARN for an execution name of a state machine. */
export function executionArnFor(stateMachineArn: string, executionName: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName}`;
}

/** True for a Step Functions execution ARN. */
export function isExecutionArn(value: string): boolean {
  return EXECUTION_ARN.test(value);
}

/** "riderapp-service in riderapp-cluster", or "the riderapp project's service". */
export function describeSelector(selector: ServiceSelector): string {
  if (selector.cluster !== undefined && selector.service !== undefined) {
    return `${selector.service} in ${selector.cluster}`;
  }
  return `the ${selector.project ?? '?'} project's service`;
}

function optionError(error: unknown): UsageError {
  const e = error as { code?: string; message?: string };
  const message = (e.message ?? String(error)).replace(/\. To specify a positional argument.*$/s, '');
  return new UsageError(message.charAt(0).toLowerCase() + message.slice(1));
}

function nonEmpty(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === '') throw new UsageError(`--${name} needs a value`);
  return value.trim();
}

function positiveInteger(name: string, value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new UsageError(`--${name} must be a whole number from 1 to ${max} (got ${quoted(value)})`);
  }
  return n;
}

function selectorFrom(
  command: string,
  values: Partial<Record<OptionName, string | boolean>>,
  serviceAlone = false,
): ServiceSelector {
  const project = nonEmpty('project', values.project as string | undefined);
  const cluster = nonEmpty('cluster', values.cluster as string | undefined);
  const service = nonEmpty('service', values.service as string | undefined);
  if (serviceAlone && cluster === undefined && service !== undefined) {
    if (project === undefined) throw new UsageError(`${command} --service needs --project <name> (or --cluster too)`);
    return { project, service };
  }
  if ((cluster === undefined) !== (service === undefined)) {
    throw new UsageError(`${command}: --cluster and --service go together (or use --project alone)`);
  }
  if (cluster === undefined && project === undefined) {
    throw new UsageError(`${command} needs --project <name> or --cluster <cluster> --service <service>`);
  }
  return { project, cluster, service };
}

/** Parses argv (without `node` and the script) into a command; throws UsageError on bad input. */
export function parseCommand(argv: readonly string[]): Command {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw optionError(error);
  }
  const { values, positionals } = parsed;
  if (values.version === true) return { kind: 'version', json: values.json === true };
  const [name, ...rest] = positionals;
  if (name === undefined || name === 'help') {
    if (name === 'help' && rest[0] !== undefined && (COMMANDS as string[]).includes(rest[0])) {
      return { kind: 'help', topic: rest[0] as HelpTopic };
    }
    if (values.help === true || name === 'help') return { kind: 'help', topic: 'main' };
    throw new UsageError('no command: use start, status, history, abort, doctor or selftest (ecs-rollback --help)');
  }
  if (!(COMMANDS as string[]).includes(name)) {
    throw new UsageError(`unknown command ${quoted(name)}: use start, status, history, abort, doctor or selftest (ecs-rollback --help)`);
  }
  const command = name as Exclude<HelpTopic, 'main'>;
  if (values.help === true) return { kind: 'help', topic: command };

  const allowed = new Set<string>([...GLOBAL_OPTIONS, ...COMMAND_OPTIONS[command]]);
  for (const key of Object.keys(values)) {
    if (!allowed.has(key)) throw new UsageError(`--${key} is not an option of ${command} (ecs-rollback ${command} --help)`);
  }

  const stateMachineArn = nonEmpty('state-machine-arn', values['state-machine-arn']);
  if (stateMachineArn !== undefined && !STATE_MACHINE_ARN.test(stateMachineArn)) {
    throw new UsageError(
      `--state-machine-arn ${stateMachineArn}: not a state machine ARN (arn:aws:states:<region>:<account>:stateMachine:<name>)`,
    );
  }
  const global: GlobalOptions = {
    stateMachineArn,
    region: nonEmpty('region', values.region),
    project: nonEmpty('project', values.project),
    json: values.json === true,
  };

  if (command === 'status' || command === 'abort') {
    if (rest.length !== 1) {
      throw new UsageError(`${command} needs exactly one execution ARN or name (ecs-rollback ${command} --help)`);
    }
    const execution = rest[0] as string;
    if (execution.startsWith('arn:') && !isExecutionArn(execution)) {
      throw new UsageError(
        `${execution}: not an execution ARN (arn:aws:states:<region>:<account>:execution:<state machine>:<name>)`,
      );
    }
    if (command === 'abort') {
      const reason = nonEmpty('reason', values.reason);
      return { kind: 'abort', global, execution, ...(reason === undefined ? {} : { reason }) };
    }
    return {
      kind: 'status',
      global,
      execution,
      follow: values['no-follow'] !== true,
      intervalSeconds: positiveInteger('interval', values.interval, 5, 300),
    };
  }

  if (rest.length > 0) {
    throw new UsageError(`${command} takes no positional argument (got ${quoted(rest[0])})`);
  }

  if (command === 'doctor' || command === 'selftest') {
    if (global.project === undefined && global.stateMachineArn === undefined) {
      throw new UsageError(`${command} needs --project <name> or --state-machine-arn <arn>`);
    }
    if (command === 'doctor') return { kind: 'doctor', global };
    return {
      kind: 'selftest',
      global,
      concurrency: positiveInteger('concurrency', values.concurrency, 3, 10),
      intervalSeconds: positiveInteger('interval', values.interval, 5, 300),
    };
  }

  if (command === 'history') {
    return {
      kind: 'history',
      global,
      selector: selectorFrom('history', values, true),
      limit: positiveInteger('limit', values.limit, 10, 100),
    };
  }

  const type = nonEmpty('type', values.type);
  if (type !== undefined && !(ROLLBACK_TYPES as string[]).includes(type)) {
    throw new UsageError(`--type must be one of ${ROLLBACK_TYPES.join(', ')} (got ${quoted(type)})`);
  }
  const to = nonEmpty('to', values.to);
  return {
    kind: 'start',
    global,
    selector: selectorFrom('start', values),
    to,
    target: to === undefined ? undefined : classifyTarget(to),
    dryRun: values['dry-run'] === true,
    reason: nonEmpty('reason', values.reason),
    rollbackType: type as RollbackType | undefined,
    requestedBy: nonEmpty('requested-by', values['requested-by']),
    yes: values.yes === true,
    wait: values.wait === true,
    intervalSeconds: positiveInteger('interval', values.interval, 5, 300),
  };
}

/** Who is asking, when --requested-by is not given: the GitHub actor in Actions, else the OS user. */
export function defaultRequester(env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (env.GITHUB_ACTOR) return `${env.GITHUB_ACTOR} (GitHub Actions)`;
  return env.USER || env.USERNAME || undefined;
}

/** The state machine input for a start: exactly the ManualStartInput the Prepare step validates. */
export function buildStartInput(
  command: StartCommand,
  env: Readonly<Record<string, string | undefined>>,
): ManualStartInput {
  const { selector } = command;
  const where =
    selector.cluster !== undefined && selector.service !== undefined
      ? { cluster: selector.cluster, service: selector.service }
      : { project: selector.project };
  const requestedBy = command.requestedBy ?? defaultRequester(env);
  return {
    ...where,
    ...(command.target === undefined ? {} : { target: command.target }),
    dryRun: command.dryRun,
    ...(command.dryRun ? {} : { confirm: 'CONFIRM' }),
    ...(command.reason === undefined ? {} : { reason: command.reason }),
    ...(requestedBy === undefined ? {} : { requestedBy }),
    ...(command.rollbackType === undefined ? {} : { rollbackType: command.rollbackType }),
  };
}

/**
 * A readable, unique execution name: `manual-riderapp-service-20240501T141500Z-3f9a`
 * (at most 80 characters; only letters, digits, `-` and `_`, so CloudWatch logging works).
 */
export function executionNameFor(input: ManualStartInput, now: Date, suffix: string): string {
  const prefix = input.selftest === true ? 'selftest' : input.dryRun === true ? 'dryrun' : 'manual';
  const named = input.service ?? input.project ?? 'service';
  const subject = named.slice(named.lastIndexOf('/') + 1).replace(/[^A-Za-z0-9_-]/g, '-');
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const tail = `-${stamp}-${suffix.replace(/[^A-Za-z0-9]/g, '').slice(0, 8)}`;
  return `${prefix}-${subject.slice(0, 80 - prefix.length - 1 - tail.length)}${tail}`;
}
