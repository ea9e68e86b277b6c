/**
 * The task-stop detector's decisions (DESIGN.md "Detection from the version's own tasks"): which
 * stopped tasks say that the newest version is bad, which deployment they belong to, and when
 * enough of them have stopped to roll back. Pure: no SDK, no clock of its own.
 *
 * A stop is classified from a table of (stopCode, stoppedReason pattern, exit code) rows, each
 * with its source. The first matching row decides; a combination no row knows is not counted.
 */

import type { BadVersionCause, TaskStopRecord } from '../shared/types';

export type { BadVersionCause } from '../shared/types';

/** The detail-type of the detector's start input, which Prepare normalises as a `task-stops` trigger. */
export const TASK_STOPS_DETAIL_TYPE = 'ECS Task Stops Detected';
/** The source of the detector's start input. */
export const TASK_STOPS_SOURCE = 'ecs-auto-rollback.detector';
/** The detail-type of ECS task state changes. */
export const TASK_STATE_CHANGE_DETAIL_TYPE = 'ECS Task State Change';

/** What a row requires of the essential containers' exit codes. */
export type ExitCodeRule = 'any' | 'non-zero';

/** One row of the classification table. */
export interface StopClassificationRow {
  /** Stable id, named in the evidence and in the logs. */
  readonly id: string;
  /** ECS's TaskStopCode the row applies to. */
  readonly stopCode: string;
  /** The stoppedReason must match this (undefined: any reason). */
  readonly stoppedReason?: RegExp;
  /** For EssentialContainerExited: which exit codes count. */
  readonly exitCode?: ExitCodeRule;
  /** True when a stop of this kind counts against the version. */
  readonly counts: boolean;
  /** Why it counts (rows that count only). */
  readonly cause?: BadVersionCause;
  /** Where the row comes from (URL), and how sure we are. */
  readonly source: string;
  /** One line: what the row means. */
  readonly note: string;
}

const TASK_STOP_CODES = 'https://docs.aws.amazon.com/sdk-for-python/v4/reference/clients/ecs/enums/TaskStopCode/';
const STOPPED_TASK_KC = 'https://repost.aws/knowledge-center/ecs-task-stopped';
const ELB_HC_ROADMAP = 'https://github.com/aws/containers-roadmap/issues/612';
const TASK_EVENTS = 'https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html';
const CIRCUIT_BREAKER = 'https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html';
const STOPPED_TASK_ERRORS = 'https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-error-codes.html';

/**
 * The classification table, first match wins. ELB health-check kills share the stop code
 * ServiceSchedulerInitiated with scale-in and deployment replacements: only the stoppedReason
 * tells them apart, so those rows match the reason's wording. UNV marks wording or meaning that
 * no retrieved AWS page states (AWS-FACTS.md §5).
 */
export const STOP_CLASSIFICATION: readonly StopClassificationRow[] = [
  {
    id: 'elb-health-check',
    stopCode: 'ServiceSchedulerInitiated',
    stoppedReason: /^Task failed ELB health checks in /,
    counts: true,
    cause: 'elb-health-check',
    source: `${STOPPED_TASK_KC} (wording); ${ELB_HC_ROADMAP} (no stop code of its own: ServiceSchedulerInitiated, UNV)`,
    note: 'The service scheduler replaced a task whose target failed the load balancer health checks.',
  },
  {
    id: 'container-health-check',
    stopCode: 'ServiceSchedulerInitiated',
    stoppedReason: /^Task failed container health checks/,
    counts: true,
    cause: 'container-health-check',
    source: `${STOPPED_TASK_ERRORS} (wording UNV)`,
    note: "The service scheduler replaced a task whose essential container's HEALTHCHECK reported UNHEALTHY.",
  },
  {
    id: 'scheduler-other',
    stopCode: 'ServiceSchedulerInitiated',
    counts: false,
    source: `${TASK_STOP_CODES} (meaning UNV)`,
    note: 'Scale-in, a deployment replacing older tasks, or a rollback draining the new ones: not a verdict on the version.',
  },
  {
    id: 'essential-container-exited-non-zero',
    stopCode: 'EssentialContainerExited',
    stoppedReason: /^Essential container in task exited/,
    exitCode: 'non-zero',
    counts: true,
    cause: 'essential-container-exited',
    source: `${TASK_STOP_CODES}; ${TASK_EVENTS} (event sample: "Essential container in task exited", containers[].exitCode)`,
    note: 'An essential container exited with a non-zero code (crash, failed boot, killed for memory).',
  },
  {
    id: 'essential-container-exited-zero',
    stopCode: 'EssentialContainerExited',
    counts: false,
    source: TASK_STOP_CODES,
    note: 'Exit code 0 or no exit code reported: a clean exit or an unknown one, not counted.',
  },
  {
    id: 'failed-to-start-capacity',
    stopCode: 'TaskFailedToStart',
    stoppedReason: /capacity is unavailable|RESOURCE:/i,
    counts: false,
    source: `${STOPPED_TASK_ERRORS} (UNV)`,
    note: 'No capacity to place the task: the platform, not the version.',
  },
  {
    id: 'failed-to-start',
    stopCode: 'TaskFailedToStart',
    counts: true,
    cause: 'failed-to-start',
    source: `${TASK_STOP_CODES}; ${CIRCUIT_BREAKER} (a task that never reaches RUNNING is what the circuit breaker counts)`,
    note: 'The task never reached RUNNING: image pull, secrets, entry point, bad task definition.',
  },
  {
    id: 'user-initiated',
    stopCode: 'UserInitiated',
    counts: false,
    source: `${TASK_STOP_CODES} (StopTask, UNV)`,
    note: 'A person or a tool called StopTask.',
  },
  {
    id: 'termination-notice',
    stopCode: 'TerminationNotice',
    counts: false,
    source: `${TASK_STOP_CODES} (Fargate maintenance / host retirement, UNV)`,
    note: 'Fargate retired the task for maintenance; the scheduler replaces it.',
  },
  {
    id: 'spot-interruption',
    stopCode: 'SpotInterruption',
    counts: false,
    source: TASK_STOP_CODES,
    note: 'Fargate Spot reclaimed the capacity.',
  },
  {
    id: 'infrastructure-health',
    stopCode: 'InfrastructureHealth',
    counts: false,
    source: `${TASK_STOP_CODES} (UNV)`,
    note: 'The infrastructure under the task was unhealthy.',
  },
];

/** A container of a stopped task, as the ECS Task State Change event carries it. */
export interface StoppedContainer {
  readonly name?: string;
  readonly exitCode?: number;
  readonly reason?: string;
}

/** The facts of one task state change event the detector decides on. */
export interface TaskStopFacts {
  readonly taskArn: string;
  readonly clusterArn: string;
  /** `service:<name>` for a service's tasks. */
  readonly group?: string;
  /** The deployment that started the task (`ecs-svc/...`) for a service's tasks. */
  readonly startedBy?: string;
  readonly taskDefinitionArn: string;
  readonly desiredStatus: string;
  readonly lastStatus: string;
  readonly stopCode?: string;
  readonly stoppedReason?: string;
  readonly containers: readonly StoppedContainer[];
  /** When the task stopped or began to (stoppingAt / stoppedAt / the event time). */
  readonly stoppedAt: string;
}

/** The classification of one stop. */
export interface StopClassification {
  readonly counts: boolean;
  /** The row that decided, undefined when no row knows the combination. */
  readonly rowId?: string;
  readonly cause?: BadVersionCause;
  /** One line a person reads. */
  readonly message: string;
}

/** The first non-zero exit code among the containers, if any. */
export function nonZeroExitCode(containers: readonly StoppedContainer[]): number | undefined {
  return containers.find((c) => typeof c.exitCode === 'number' && c.exitCode !== 0)?.exitCode;
}

function rowMatches(row: StopClassificationRow, stop: TaskStopFacts): boolean {
  if (row.stopCode !== stop.stopCode) return false;
  if (row.stoppedReason !== undefined && !row.stoppedReason.test(stop.stoppedReason ?? '')) return false;
  if (row.exitCode === 'non-zero' && nonZeroExitCode(stop.containers) === undefined) return false;
  return true;
}

/** Classifies a stop with STOP_CLASSIFICATION; what no row knows is not counted. */
export function classifyStop(stop: TaskStopFacts, table: readonly StopClassificationRow[] = STOP_CLASSIFICATION): StopClassification {
  const row = table.find((r) => rowMatches(r, stop));
  const what = `stopCode ${stop.stopCode ?? '(none)'}, "${stop.stoppedReason ?? ''}"`;
  if (row === undefined) return { counts: false, message: `Not counted: no row knows ${what}.` };
  if (!row.counts) return { counts: false, rowId: row.id, message: `Not counted (${row.id}): ${row.note}` };
  return {
    counts: true,
    rowId: row.id,
    ...(row.cause !== undefined ? { cause: row.cause } : {}),
    message: `Counted (${row.id}): ${row.note}`,
  };
}

/** The service's newest deployment as DescribeServices reports it (the PRIMARY one). */
export interface NewestDeployment {
  readonly id: string;
  readonly taskDefinitionArn: string;
  readonly createdAt: string;
  /** PENDING / IN_PROGRESS / COMPLETED / FAILED (rolling updates). */
  readonly rolloutState?: string;
}

/** The detector's settings. */
export interface DetectorSettings {
  /** Counted stops of one deployment that start a rollback (K). */
  readonly threshold: number;
  /** Stops count only this long after the deployment started. */
  readonly windowMinutes: number;
  /** Report what would be done, change nothing. */
  readonly notifyOnly: boolean;
}

/**
 * Default K: 2. ECS's circuit breaker fails a deployment at 0.5 × desired count, at least 3 and at
 * most 200 failed tasks (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeploymentCircuitBreaker.html);
 * we act one failure earlier than its floor so a small service is rolled back before the breaker's
 * third failure, and never on a single stop (one task killed by a noisy neighbour, an OOM spike).
 */
export const DEFAULT_DETECTOR_THRESHOLD = 2;
/**
 * Default window: 60 minutes after the deployment started, the same as the alarm window
 * (DEFAULT_ALARM_ROLLBACK_WINDOW_MINUTES): later failures are more likely a dependency than the
 * version, and a rollback may not help then.
 */
export const DEFAULT_DETECTOR_WINDOW_MINUTES = 60;

/** Why a stop is not counted against the newest deployment (besides the classification). */
export type AttributionVerdict =
  | { readonly counts: true; readonly deploymentId: string }
  | { readonly counts: false; readonly reason: string };

/** The task id (last part of the task ARN). */
export function taskIdOf(taskArn: string): string {
  return taskArn.split('/').pop() ?? taskArn;
}

/**
 * Attributes a stop to the service's newest deployment: the task must have been started by that
 * deployment (startedBy) and run its task definition, stop within the window after the deployment
 * started, and the deployment must not be a rollback this system started.
 */
export function attributeStop(
  stop: TaskStopFacts,
  newest: NewestDeployment | undefined,
  settings: Pick<DetectorSettings, 'windowMinutes'>,
  ownRollback: boolean,
): AttributionVerdict {
  if (newest === undefined) return { counts: false, reason: 'ECS lists no PRIMARY deployment for the service.' };
  if (stop.startedBy === undefined || stop.startedBy !== newest.id) {
    return {
      counts: false,
      reason: `The task was started by ${stop.startedBy ?? 'no deployment'}, not by the newest deployment ${newest.id}.`,
    };
  }
  if (stop.taskDefinitionArn !== newest.taskDefinitionArn) {
    return { counts: false, reason: `The task runs ${stop.taskDefinitionArn}, not the newest revision ${newest.taskDefinitionArn}.` };
  }
  if (ownRollback) {
    return { counts: false, reason: `Deployment ${newest.id} is a rollback this system started; its tasks are not counted.` };
  }
  const ageMs = Date.parse(stop.stoppedAt) - Date.parse(newest.createdAt);
  if (!(ageMs >= 0 && ageMs <= settings.windowMinutes * 60_000)) {
    return {
      counts: false,
      reason: `The task stopped at ${stop.stoppedAt}, outside the ${settings.windowMinutes}-minute window after deployment ${newest.id} started (${newest.createdAt}).`,
    };
  }
  return { counts: true, deploymentId: newest.id };
}

/** One counted stop, as the evidence carries it. */
export type StopEvidence = TaskStopRecord;

/** The evidence item of a stop that counts. */
export function evidenceOf(stop: TaskStopFacts, cause: BadVersionCause): StopEvidence {
  const exitCode = nonZeroExitCode(stop.containers);
  return {
    taskId: taskIdOf(stop.taskArn),
    stopCode: stop.stopCode ?? '',
    stoppedReason: stop.stoppedReason ?? '',
    ...(exitCode !== undefined ? { exitCode } : {}),
    cause,
    stoppedAt: stop.stoppedAt,
  };
}

/**
 * Step Functions execution names: 1–80 characters of letters, digits, `-` and `_`
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html).
 * The name is derived from the deployment alone, so a repeated start is idempotent.
 */
export function detectorExecutionName(cluster: string, service: string, deploymentId: string): string {
  const clean = (value: string): string => value.replace(/[^A-Za-z0-9_-]/g, '-');
  const deployment = clean(deploymentId);
  const head = `task-stops-${clean(`${cluster}-${service}`)}`.slice(0, 79 - deployment.length);
  return `${head}-${deployment}`.slice(-80);
}

/** True when the counted stops reach the threshold. */
export function reachesThreshold(count: number, settings: Pick<DetectorSettings, 'threshold'>): boolean {
  return count >= settings.threshold;
}

/** True when every counted stop is an ELB health-check kill: the signature of a dependency outage as much as of a bad version. */
export function onlyHealthCheckStops(stops: readonly Pick<StopEvidence, 'cause'>[]): boolean {
  return stops.length > 0 && stops.every((s) => s.cause === 'elb-health-check' || s.cause === 'container-health-check');
}
