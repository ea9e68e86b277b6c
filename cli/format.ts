/**
 * Pure presentation for `ecs-rollback`: what an execution's outcome means (and its exit code),
 * progress lines from the execution history, the history table. No I/O here.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { RollbackState, TargetResolution } from '../lambdas/shared/types';
import { type ServiceSelector, shortTaskDefinition } from './args';
import { EXIT, type ExitCode } from './exit-codes';

/** The rollback state as found in an execution's output or its last state's input. */
export type StateView = Partial<RollbackState> & { readonly notificationError?: unknown };

/** What we know of one execution: DescribeExecution's answer plus the final state, if any. */
export interface ExecutionView {
  readonly executionArn: string;
  readonly name: string;
  readonly status: string;
  readonly startDate?: Date;
  readonly stopDate?: Date;
  readonly input?: unknown;
  readonly error?: string;
  readonly cause?: string;
  readonly state?: StateView;
}

export type OutcomeKind = 'succeeded' | 'rolled-back' | 'watched' | 'skipped' | 'dry-run' | 'failed' | 'running' | 'timed-out' | 'aborted';

/** What an execution came to, in words and as the exit code of `status` / `start --wait`. */
export interface Outcome {
  readonly kind: OutcomeKind;
  readonly exitCode: ExitCode;
  /** A few words for the history table. */
  readonly short: string;
  /** The sentences printed at the end of `status`. */
  readonly lines: readonly string[];
}

/** Parses a JSON string into a state view; undefined when it is not a JSON object. */
export function parseState(json: string | undefined): StateView | undefined {
  const value = parseJson(json);
  return isRecord(value) ? (value as StateView) : undefined;
}

/** Parses JSON, undefined on anything that is not JSON. */
export function parseJson(json: string | undefined): unknown {
  if (json === undefined) return undefined;
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A Step Functions Cause in one line: a Lambda error's errorMessage, else the text itself. */
export function causeText(cause: string | undefined): string | undefined {
  if (cause === undefined || cause === '') return undefined;
  const parsed = parseJson(cause);
  const text = isRecord(parsed) && typeof parsed.errorMessage === 'string' ? parsed.errorMessage : cause;
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > 400 ? `${oneLine.slice(0, 399)}…` : oneLine;
}

/** "4m 12s", "38s", "1h 02m". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Seconds between start and stop (or `now` while running). */
export function durationOf(view: ExecutionView, now: Date): number | undefined {
  if (view.startDate === undefined) return undefined;
  return ((view.stopDate ?? now).getTime() - view.startDate.getTime()) / 1000;
}

function imageName(image: NonNullable<TargetResolution['image']>): string {
  const repository = image.repositoryUri.slice(image.repositoryUri.lastIndexOf('/') + 1);
  if (image.tag !== undefined) return `${repository}:${image.tag}`;
  return `${repository}@${image.digest ?? '?'}`;
}

/** The version the service ran before: `riderapp:15`. */
export function fromVersion(state: StateView | undefined): string | undefined {
  const current = state?.target?.current;
  return current === undefined ? undefined : `${current.family}:${current.revision}`;
}

/** The version put back (or planned): `riderapp:14`, or the image for a copy not registered yet. */
export function toVersion(state: StateView | undefined): string | undefined {
  if (state?.registration !== undefined) return `${state.registration.family}:${state.registration.revision}`;
  if (state?.request?.action === 'watch' && state.request.watch !== undefined) {
    return shortTaskDefinition(state.request.watch.taskDefinitionArn);
  }
  const target = state?.target;
  if (target === undefined || target.outcome === 'skip') return undefined;
  if (target.taskDefinitionArn !== undefined) return shortTaskDefinition(target.taskDefinitionArn);
  if (target.image !== undefined) return `image ${imageName(target.image)}`;
  return undefined;
}

function serviceLabel(view: ExecutionView): string {
  const where = serviceOf(view);
  return where === undefined ? 'the service' : `${where.service} in ${where.cluster}`;
}

function baseOutcome(view: ExecutionView): Omit<Outcome, 'exitCode'> & { exitCode: ExitCode } {
  const state = view.state;
  const from = fromVersion(state);
  const to = toVersion(state);
  const where = serviceLabel(view);
  const request = state?.request;
  const kind = state?.notification?.kind;
  const skipped = kind === 'skipped' || (kind === undefined && (request?.action === 'skip' || state?.target?.outcome === 'skip'));
  if (skipped) {
    const message = request?.action === 'skip' ? request.actionMessage : state?.target?.message;
    const reason = request?.action === 'skip' ? request.actionReason : state?.target?.reason;
    return {
      kind: 'skipped',
      exitCode: EXIT.OK,
      short: `skipped${reason === undefined ? '' : `: ${reason}`}`,
      lines: [`Nothing changed on ${where}: ${message ?? 'the rollback was skipped'}${reason === undefined ? '' : ` (${reason})`}.`],
    };
  }
  if (kind === 'dry-run' || (kind === undefined && request?.dryRun === true)) {
    return {
      kind: 'dry-run',
      exitCode: EXIT.OK,
      short: 'dry run',
      lines: [
        `Dry run: would roll back ${where} from ${from ?? '?'} to ${to ?? '?'}.`,
        ...(state?.target?.message === undefined ? [] : [state.target.message]),
        'Nothing changed.',
      ],
    };
  }
  const details = [
    ...(state?.deployment === undefined ? [] : [`Deployment ${state.deployment.deploymentId}: ${state.stability?.message ?? 'completed'}`]),
    ...(state?.health === undefined ? [] : [`Health: ${state.health.message}`]),
  ];
  if (request?.action === 'watch') {
    return {
      kind: 'watched',
      exitCode: EXIT.OK,
      short: 'ECS rolled back',
      lines: [`ECS rolled back ${where} itself (deployment circuit breaker); it now runs ${to ?? '?'}.`, ...details],
    };
  }
  return {
    kind: 'rolled-back',
    exitCode: EXIT.OK,
    short: 'rolled back',
    lines: [`Rolled back ${where}: ${from ?? '?'} → ${to ?? '?'}.`, ...details],
  };
}

/** What an execution came to: its kind, the exit code for scripts, and what to tell the person. */
export function outcomeOf(view: ExecutionView): Outcome {
  const advice = adviceNote(view.state);
  switch (view.status) {
    case 'RUNNING':
      return { kind: 'running', exitCode: EXIT.OK, short: 'running', lines: [`Still running (${view.name}).`] };
    case 'SUCCEEDED': {
      if (view.state === undefined) {
        return { kind: 'succeeded', exitCode: EXIT.OK, short: 'succeeded', lines: [`The execution succeeded (${view.name}).`] };
      }
      const base = baseOutcome(view);
      return { ...base, lines: [...base.lines, ...advice] };
    }
    case 'TIMED_OUT':
      return {
        kind: 'timed-out',
        exitCode: EXIT.ROLLBACK_FAILED,
        short: 'timed out',
        lines: [`The execution timed out: ${serviceLabel(view)} may be mid-deployment; check it in the ECS console.`],
      };
    case 'ABORTED':
      return {
        kind: 'aborted',
        exitCode: EXIT.ROLLBACK_FAILED,
        short: 'aborted',
        lines: [`The execution was stopped by hand: ${serviceLabel(view)} may be mid-deployment; check it in the ECS console.`],
      };
    default:
      break;
  }
  const failure = view.state?.failure;
  if (failure === undefined && view.error === 'NotificationFailed' && view.state !== undefined) {
    const base = baseOutcome(view);
    return {
      ...base,
      lines: [...base.lines, 'Warning: the notification could not be sent (NotificationFailed): check the SNS topic and the Notify function logs.'],
    };
  }
  if (failure === undefined && view.error === 'LockReleaseFailed' && view.state !== undefined) {
    const base = baseOutcome(view);
    return {
      ...base,
      lines: [
        ...base.lines,
        `Warning: the lock of ${serviceLabel(view)} could not be released (LockReleaseFailed): automatic rollbacks of it are skipped until the lock expires; see the ReleaseLock function logs.`,
      ],
    };
  }
  const step = failure?.step;
  const error = failure?.error ?? view.error ?? 'unknown error';
  const cause = causeText(failure?.cause ?? view.cause);
  return {
    kind: 'failed',
    exitCode: EXIT.ROLLBACK_FAILED,
    short: step === undefined ? `failed: ${error}` : `failed at ${step}`,
    lines: [
      `Rollback of ${serviceLabel(view)} failed${step === undefined ? '' : ` at ${step}`}: ${error}${cause === undefined ? '' : `: ${cause}`}`,
      ...(fromVersion(view.state) === undefined ? [] : [`Before the rollback it ran ${fromVersion(view.state)}; check what it runs now in the ECS console.`]),
      ...advice,
    ],
  };
}

function adviceNote(state: StateView | undefined): string[] {
  const type = state?.request?.rollbackType;
  if (type === undefined || type === 'application') return [];
  return [`Rollback type ${type}: database and infrastructure steps are never automatic; the notification lists what to do.`];
}

/** Which service an execution was about: from its state, else from its input. */
export function serviceOf(view: ExecutionView): { cluster: string; service: string } | undefined {
  const request = view.state?.request;
  if (request !== undefined) return { cluster: lastSegment(request.cluster), service: lastSegment(request.service) };
  const input = view.input;
  if (!isRecord(input)) return undefined;
  if (typeof input.cluster === 'string' && typeof input.service === 'string') {
    return { cluster: lastSegment(input.cluster), service: lastSegment(input.service) };
  }
  if (typeof input.project === 'string') return { cluster: `${input.project}-cluster`, service: `${input.project}-service` };
  const resources = Array.isArray(input.resources) ? input.resources : [];
  for (const resource of resources) {
    const match = typeof resource === 'string' ? /:service\/([^/]+)\/([^/]+)$/.exec(resource) : null;
    if (match !== null) return { cluster: match[1] as string, service: match[2] as string };
  }
  return undefined;
}

function lastSegment(nameOrArn: string): string {
  return nameOrArn.slice(nameOrArn.lastIndexOf('/') + 1);
}

/**
 * True when the execution may be about the selected service: a known service must match;
 * an execution whose service cannot be told (an alarm that failed early) is kept.
 */
export function matchesSelector(view: ExecutionView, selector: ServiceSelector): boolean {
  if (selector.service === undefined) return true;
  const where = serviceOf(view);
  if (where === undefined) return true;
  if (selector.cluster === undefined) return where.service === lastSegment(selector.service);
  return where.cluster === lastSegment(selector.cluster) && where.service === lastSegment(selector.service);
}

/** What started an execution, in a few words: "manual (alice)", "deployment failed", "alarm riderapp-5xx", "task stops (2)". */
export function triggerOf(view: ExecutionView): string {
  const trigger = view.state?.request?.trigger;
  if (trigger !== undefined) {
    if (trigger.kind === 'manual') return trigger.requestedBy === undefined ? 'manual' : `manual (${trigger.requestedBy})`;
    if (trigger.kind === 'alarm') return `alarm ${trigger.alarmName ?? ''}`.trim();
    if (trigger.kind === 'task-stops') return `task stops (${trigger.taskStops?.stops.length ?? '?'})`;
    return 'deployment failed';
  }
  const input = view.input;
  if (!isRecord(input)) return '?';
  if (input['detail-type'] === 'ECS Deployment State Change') return 'deployment failed';
  if (input['detail-type'] === 'ECS Task Stops Detected') return 'task stops';
  if (input['detail-type'] === 'CloudWatch Alarm State Change') {
    const detail = isRecord(input.detail) ? input.detail : {};
    return `alarm ${typeof detail.alarmName === 'string' ? detail.alarmName : ''}`.trim();
  }
  return typeof input.requestedBy === 'string' ? `manual (${input.requestedBy})` : 'manual';
}

function utcMinute(date: Date | undefined): string {
  return date === undefined ? '?' : `${date.toISOString().slice(0, 16).replace('T', ' ')}Z`;
}

function utcTime(date: Date | undefined): string {
  return date === undefined ? '--:--:--' : date.toISOString().slice(11, 19);
}

/** One row of the history table. */
export interface HistoryRow {
  readonly started: string;
  readonly service: string;
  readonly trigger: string;
  readonly change: string;
  readonly outcome: string;
  readonly duration: string;
  readonly execution: string;
}

/** The history table's row for one execution. */
export function historyRow(view: ExecutionView, now: Date): HistoryRow {
  const where = serviceOf(view);
  const from = fromVersion(view.state);
  const to = toVersion(view.state);
  const duration = durationOf(view, now);
  return {
    started: utcMinute(view.startDate),
    service: where === undefined ? '?' : `${where.cluster}/${where.service}`,
    trigger: triggerOf(view),
    change: from === undefined && to === undefined ? '-' : `${from ?? '?'} → ${to ?? '-'}`,
    outcome: outcomeOf(view).short,
    duration: duration === undefined ? '-' : formatDuration(duration),
    execution: view.name,
  };
}

const HISTORY_COLUMNS: readonly [keyof HistoryRow, string][] = [
  ['started', 'STARTED (UTC)'],
  ['service', 'SERVICE'],
  ['trigger', 'TRIGGER'],
  ['change', 'FROM → TO'],
  ['outcome', 'OUTCOME'],
  ['duration', 'DURATION'],
  ['execution', 'EXECUTION'],
];

/** The rows as an aligned text table with a header line. */
export function formatHistoryTable(rows: readonly HistoryRow[]): string {
  const widths = HISTORY_COLUMNS.map(([key, title]) => Math.max(title.length, ...rows.map((row) => row[key].length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(HISTORY_COLUMNS.map(([, title]) => title)), ...rows.map((row) => line(HISTORY_COLUMNS.map(([key]) => row[key])))].join('\n');
}

/** What the progress printer remembers between polls. */
export interface ProgressMemo {
  lastEventId: number;
  readonly entered: Map<string, number>;
}

/** A fresh progress memo. */
export function newProgressMemo(): ProgressMemo {
  return { lastEventId: 0, entered: new Map() };
}

const QUIET_REPEATS = new Set(['CheckStability', 'StabilityDecision', 'WaitForStability']);

/**
 * Lines for the history events not printed yet: each state entered (the stability loop once),
 * and the one-line result of the steps a person cares about.
 */
export function progressLines(events: readonly HistoryEvent[], memo: ProgressMemo): string[] {
  const lines: string[] = [];
  for (const event of events) {
    const id = event.id ?? 0;
    if (id <= memo.lastEventId) continue;
    memo.lastEventId = id;
    const entered = event.stateEnteredEventDetails;
    if (entered?.name !== undefined && event.type?.endsWith('StateEntered')) {
      const count = (memo.entered.get(entered.name) ?? 0) + 1;
      memo.entered.set(entered.name, count);
      if (count === 1 || !QUIET_REPEATS.has(entered.name)) lines.push(`${utcTime(event.timestamp)}  ${entered.name}`);
      continue;
    }
    const exited = event.stateExitedEventDetails;
    if (exited?.name !== undefined && event.type === 'TaskStateExited') {
      const detail = stepDetail(exited.name, parseState(exited.output));
      if (detail !== undefined) lines.push(`${utcTime(event.timestamp)}    ${detail}`);
      continue;
    }
    const failed = event.lambdaFunctionFailedEventDetails ?? event.taskFailedEventDetails;
    if (failed !== undefined) {
      const cause = causeText(failed.cause);
      lines.push(`${utcTime(event.timestamp)}    error ${failed.error ?? ''}${cause === undefined ? '' : `: ${cause}`}`.trimEnd());
    }
  }
  return lines;
}

function stepDetail(step: string, state: StateView | undefined): string | undefined {
  switch (step) {
    case 'Prepare':
      return state?.request?.action === 'rollback' || state?.request === undefined
        ? undefined
        : `${state.request.action}: ${state.request.actionMessage ?? state.request.actionReason ?? ''}`;
    case 'ResolveTarget':
      return state?.target === undefined ? undefined : `target: ${state.target.message}`;
    case 'RegisterTaskDefinition':
      return state?.registration === undefined
        ? undefined
        : `task definition ${state.registration.family}:${state.registration.revision}${state.registration.registered ? ' (registered)' : ''}`;
    case 'UpdateService':
      return state?.deployment === undefined ? undefined : `deployment ${state.deployment.deploymentId} started`;
    case 'CheckStability':
      return state?.stability === undefined ? undefined : `${state.stability.status}: ${state.stability.message}`;
    case 'ProbeHealth':
      return state?.health === undefined ? undefined : `health: ${state.health.message}`;
    default:
      return undefined;
  }
}

/** True for the history event that ends an execution. */
export function isExecutionEnd(event: HistoryEvent): boolean {
  return ['ExecutionSucceeded', 'ExecutionFailed', 'ExecutionAborted', 'ExecutionTimedOut'].includes(event.type ?? '');
}

/** The whole state as the execution's last state saw it: the input of its Fail/Succeed state. */
export function finalStateFromEvents(events: readonly HistoryEvent[]): StateView | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i];
    if (event?.type === 'FailStateEntered' || event?.type === 'SucceedStateEntered') {
      return parseState(event.stateEnteredEventDetails?.input);
    }
  }
  return undefined;
}

const EXIT_CODES_HELP = `Exit codes:
  0  success: the rollback succeeded, was skipped (nothing to do), or was a dry run;
     without --wait, start exits 0 once the execution is started
  1  the rollback failed, timed out or was aborted
  2  usage error: bad arguments, no state machine, or no way to confirm (pass --yes)
  3  AWS error: credentials, permissions, unknown ARN, throttling
  4  aborted at the confirmation prompt: nothing was started
  5  doctor: no check failed, at least one warning
  6  doctor: at least one check failed (the safety net is not wired)
  7  selftest: the dry run of at least one service produced no plan`;

const GLOBAL_HELP = `Global options:
  --state-machine-arn <arn>  the rollback state machine (default: $ECS_ROLLBACK_STATE_MACHINE_ARN)
  -p, --project <name>       find the state machine <name>-ecs-auto-rollback by name
  --region <region>          AWS region (default: from the ARN, $AWS_REGION or the AWS profile)
  --json                     print one JSON document on stdout (progress goes to stderr)
  -V, --version              print the version
  -h, --help                 show help`;

/** Help text for each topic. */
export const HELP: Record<'main' | 'start' | 'status' | 'history' | 'abort' | 'doctor' | 'selftest', string> = {
  main: `ecs-rollback: roll an ECS service back through the ecs-auto-rollback state machine

Usage:
  ecs-rollback start   (--project <p> | --cluster <c> --service <s>) [--to <version>] [--dry-run] [--yes] [--wait]
  ecs-rollback status  <execution-arn | execution-name> [--no-follow]
  ecs-rollback history (--project <p> | --cluster <c> --service <s>) [--limit <n>]
  ecs-rollback abort   <execution-arn | execution-name> [--reason <text>]
  ecs-rollback doctor  (--project <p> | --state-machine-arn <arn>)
  ecs-rollback selftest (--project <p> | --state-machine-arn <arn>) [--concurrency <n>]
  ecs-rollback <command> --help

${GLOBAL_HELP}

Environment:
  ECS_ROLLBACK_STATE_MACHINE_ARN  the state machine, when neither --state-machine-arn nor --project is given
  AWS_REGION, AWS_PROFILE, ...    the usual AWS SDK settings

${EXIT_CODES_HELP}`,
  start: `ecs-rollback start: start a rollback (or a dry run) of one service

Usage:
  ecs-rollback start --project riderapp [--to <version>] [options]
  ecs-rollback start --cluster riderapp-cluster --service riderapp-service [--to <version>] [options]

Options:
  -p, --project <name>     the project's service (and its state machine, unless --state-machine-arn)
  --cluster <name>         with --service: the service to roll back
  --service <name>
  --to <version>           what to put back (default: the last known-good version):
                             riderapp:14 or a task definition ARN   a task definition revision
                             sha256:<64 hex>                       an image digest
                             7 to 40 hex characters                a commit SHA used as image tag
                             anything else                         an image tag (a bare 14 is a tag)
  --dry-run                resolve the target and report the plan; change nothing (no confirmation)
  --type <type>            application (default), infrastructure, database or full; only the
                           application is rolled back, the others add advice to the notification
  --reason <text>          why, for the notification
  --requested-by <name>    who asks (default: $GITHUB_ACTOR or $USER)
  -y, --yes                do not ask; needed when stdin is not a terminal
  --wait                   follow the execution until it ends; exit code from its outcome
  --interval <seconds>     polling interval with --wait (default 5)

Without --yes or --dry-run, start asks you to type CONFIRM. It prints the execution ARN.

${GLOBAL_HELP}

${EXIT_CODES_HELP}`,
  status: `ecs-rollback status: follow an execution until it ends and print its outcome

Usage:
  ecs-rollback status <execution-arn>
  ecs-rollback status <execution-name> (--project <p> | --state-machine-arn <arn>)

Options:
  --no-follow              print the status now, do not wait for the end
  --interval <seconds>     polling interval (default 5)

${GLOBAL_HELP}

${EXIT_CODES_HELP}
  (with --no-follow, a running execution exits 0)`,
  history: `ecs-rollback history: recent rollbacks with trigger, versions, outcome and duration

Usage:
  ecs-rollback history --project riderapp [--limit 10]
  ecs-rollback history --cluster riderapp-cluster --service riderapp-service [--limit 10]
  ecs-rollback history --project riderapp --service riderapp-service [--limit 10]

Options:
  -p, --project <name>     every service of the project (its state machine)
  --cluster <name>         with --service: only this service
  --service <name>         only this service (in any cluster, with --project)
  --limit <n>              at most n rows, newest first (default 10, at most 100)

${GLOBAL_HELP}

${EXIT_CODES_HELP}`,
  abort: `ecs-rollback abort: stop a running rollback (StopExecution) and free its service lock

Usage:
  ecs-rollback abort <execution-arn> [--reason <text>]
  ecs-rollback abort <execution-name> (--project <p> | --state-machine-arn <arn>) [--reason <text>]

Options:
  --reason <text>          why, recorded in the execution's cause with who stopped it

The execution ends as ABORTED (error AbortedByOperator). What it already did stays done (a started
deployment keeps rolling out). Its lock is freed when Step Functions reports the stop, or taken
over by the next rollback of the service. An execution that already ended is left alone (exit 0).

${GLOBAL_HELP}

${EXIT_CODES_HELP}`,
  doctor: `ecs-rollback doctor: is the safety net wired? Read-only checks, one line each

Usage:
  ecs-rollback doctor --project riderapp
  ecs-rollback doctor --state-machine-arn <arn>

Finds the state machine by name (<project>-ecs-auto-rollback) or by its tag
ecs-auto-rollback:project=<project> (a stack made with the EcsAutoRollback construct), reads its
stack and the watched services, and checks: the stack and state machine; the rules (enabled,
targeting the state machine); the dead-letter queue (empty); the operations topic's key (CloudWatch
may publish); the last executions; and per service: it exists with the ECS deployment controller,
the circuit breaker (and whether its own rollback is on), minimum healthy percent, the containers
rolled back, the ECR repository and a previous image, a previous successful deployment, the target
group's health check times, each alarm (exists, metric, state), the health URL, the lock, and the
functions' permissions (iam:SimulatePrincipalPolicy). Each finding is ok, warn or fail with its fix.

The caller needs read access: states:ListStateMachines, DescribeStateMachine, ListTagsForResource,
ListExecutions, DescribeExecution; cloudformation:DescribeStacks, ListStackResources;
dynamodb:GetItem on the state table; ecs:DescribeServices, DescribeTaskDefinition,
ListServiceDeployments; ecr:DescribeRepositories, DescribeImages; elasticloadbalancing:DescribeTargetGroups;
cloudwatch:DescribeAlarms; events:DescribeRule, ListTargetsByRule; sqs:GetQueueAttributes;
kms:GetKeyPolicy; iam:SimulatePrincipalPolicy.

${GLOBAL_HELP}

${EXIT_CODES_HELP}`,
  selftest: `ecs-rollback selftest: a dry run for every watched service; prints each plan

Usage:
  ecs-rollback selftest --project riderapp [--concurrency 3]

Starts one dry-run execution per watched service, --concurrency at a time (default 3, at most 10:
each dry run reads ECS, whose API rate limits the account shares), follows them, and prints per
service the plan (which version would come back and why) or the error (a missing permission names
the action and the resource). Nothing is changed; the executions are marked selftest, so Notify
sends no notification and they stay out of the rollback metrics.

Options:
  --concurrency <n>        dry runs at once (default 3)
  --interval <seconds>     polling interval (default 5)

${GLOBAL_HELP}

${EXIT_CODES_HELP}`,
};
