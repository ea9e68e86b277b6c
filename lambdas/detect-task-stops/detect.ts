/**
 * The task-stop detector: one ECS Task State Change event (desiredStatus STOPPED) in, at most one
 * rollback start out. Classify the stop (pure), attribute it to the service's newest deployment,
 * count it once per task in DynamoDB, and at K counted stops start the state machine with the
 * evidence under a name derived from the deployment (a repeated start is idempotent). A redelivered
 * event of a counted task starts the rollback when the count reached K but no start was recorded
 * (the invocation that counted it failed before or during StartExecution).
 */
import type { RollbackDeploymentRecord } from '../aws/state-table';
import type { TaskStopCount } from '../aws/task-stop-counter';
import {
  attributeStop,
  classifyStop,
  type DetectorSettings,
  detectorExecutionName,
  evidenceOf,
  type NewestDeployment,
  reachesThreshold,
  type StopEvidence,
  type StoppedContainer,
  TASK_STATE_CHANGE_DETAIL_TYPE,
  TASK_STOPS_DETAIL_TYPE,
  TASK_STOPS_SOURCE,
  type TaskStopFacts,
  taskIdOf,
} from '../core/task-stops';
import { ValidationError } from '../shared/errors';
import { isRecord } from '../shared/narrow';
import type { TaskStopsEvidence } from '../shared/types';


/** What the detector did with one event. */
export type DetectorOutcome =
  | 'not-stopping'
  | 'not-counted'
  | 'not-attributed'
  | 'duplicate'
  | 'counted'
  | 'started'
  | 'already-started';

/** The detector's answer for one event (logged; the harness and tests read it). */
export interface DetectorResult {
  readonly outcome: DetectorOutcome;
  readonly message: string;
  readonly cluster?: string;
  readonly service?: string;
  readonly taskId?: string;
  readonly deploymentId?: string;
  readonly count?: number;
  readonly executionName?: string;
  readonly executionArn?: string;
}

/** The detector's start input: an EventBridge-shaped event that Prepare normalises. */
export interface TaskStopsDetectedEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': typeof TASK_STOPS_DETAIL_TYPE;
  readonly source: typeof TASK_STOPS_SOURCE;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: TaskStopsDetail;
}

/** The evidence a task-stops start carries. */
export interface TaskStopsDetail extends TaskStopsEvidence {
  readonly cluster: string;
  readonly service: string;
}

/** What the detector reads and writes. */
export interface DetectorDeps {
  readonly settings: DetectorSettings;
  readonly stateMachineArn: string;
  /** The service's PRIMARY deployment, or undefined. */
  readonly newestDeployment: (cluster: string, service: string) => Promise<NewestDeployment | undefined>;
  /** The loop guard's record of a deployment this system started. */
  readonly findOwnDeployment: (deploymentId: string) => Promise<RollbackDeploymentRecord | undefined>;
  readonly count: (cluster: string, service: string, deploymentId: string, stop: StopEvidence) => Promise<TaskStopCount>;
  readonly markStarted: (cluster: string, service: string, deploymentId: string, executionArn: string) => Promise<void>;
  /** StartExecution; resolves `alreadyExists` when an execution of that name exists (ExecutionAlreadyExists). */
  readonly startExecution: (
    name: string,
    input: string,
  ) => Promise<{ readonly executionArn: string; readonly alreadyExists: boolean }>;
}

const text = (value: unknown): value is string => typeof value === 'string' && value !== '';

function requireText(record: Record<string, unknown>, key: string, field: string): string {
  const value = record[key];
  if (!text(value)) throw new ValidationError(field, value === undefined ? 'required' : `expected a non-empty string, got ${JSON.stringify(value)}`);
  return value;
}

function containersOf(value: unknown): StoppedContainer[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new ValidationError('detail.containers', 'expected an array');
  return value.filter(isRecord).map((c) => ({
    ...(text(c.name) ? { name: c.name } : {}),
    ...(typeof c.exitCode === 'number' ? { exitCode: c.exitCode } : {}),
    ...(text(c.reason) ? { reason: c.reason } : {}),
  }));
}

/** The facts of an ECS Task State Change event; a ValidationError names a missing field. */
export function narrowTaskStateChange(event: unknown): TaskStopFacts & { readonly region: string; readonly account: string } {
  if (!isRecord(event)) throw new ValidationError('input', 'expected an EventBridge event');
  if (event['detail-type'] !== TASK_STATE_CHANGE_DETAIL_TYPE) {
    throw new ValidationError('detail-type', `expected ${TASK_STATE_CHANGE_DETAIL_TYPE}, got ${JSON.stringify(event['detail-type'])}`);
  }
  const detail = event.detail;
  if (!isRecord(detail)) throw new ValidationError('detail', 'expected an object');
  const time = text(event.time) ? event.time : new Date(0).toISOString();
  const stoppedAt = [detail.stoppingAt, detail.stoppedAt, detail.executionStoppedAt, detail.updatedAt, time].find(text) as string;
  return {
    region: requireText(event, 'region', 'region'),
    account: requireText(event, 'account', 'account'),
    taskArn: requireText(detail, 'taskArn', 'detail.taskArn'),
    clusterArn: requireText(detail, 'clusterArn', 'detail.clusterArn'),
    taskDefinitionArn: requireText(detail, 'taskDefinitionArn', 'detail.taskDefinitionArn'),
    desiredStatus: requireText(detail, 'desiredStatus', 'detail.desiredStatus'),
    lastStatus: requireText(detail, 'lastStatus', 'detail.lastStatus'),
    ...(text(detail.group) ? { group: detail.group } : {}),
    ...(text(detail.startedBy) ? { startedBy: detail.startedBy } : {}),
    ...(text(detail.stopCode) ? { stopCode: detail.stopCode } : {}),
    ...(text(detail.stoppedReason) ? { stoppedReason: detail.stoppedReason } : {}),
    containers: containersOf(detail.containers),
    stoppedAt: new Date(Date.parse(stoppedAt)).toISOString(),
  };
}

/** Cluster name from a cluster ARN, service name from a task's group (`service:<name>`). */
export function serviceOf(stop: Pick<TaskStopFacts, 'clusterArn' | 'group'>): { cluster: string; service: string } | undefined {
  const cluster = stop.clusterArn.split('/').pop();
  const service = stop.group?.startsWith('service:') ? stop.group.slice('service:'.length) : undefined;
  if (!cluster || !service) return undefined;
  return { cluster, service };
}

/** The start input at the threshold: built from the first K counted stops only, so a retry sends the same input. */
export function startInputFor(
  where: { readonly region: string; readonly account: string; readonly cluster: string; readonly service: string },
  newest: NewestDeployment,
  counted: TaskStopCount,
  settings: DetectorSettings,
  name: string,
): TaskStopsDetectedEvent {
  const stops = counted.evidence.slice(0, settings.threshold);
  const last = stops[stops.length - 1];
  const partition = where.region.startsWith('cn-') ? 'aws-cn' : where.region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  return {
    version: '0',
    id: name,
    'detail-type': TASK_STOPS_DETAIL_TYPE,
    source: TASK_STOPS_SOURCE,
    account: where.account,
    time: last?.stoppedAt ?? newest.createdAt,
    region: where.region,
    resources: [`arn:${partition}:ecs:${where.region}:${where.account}:service/${where.cluster}/${where.service}`],
    detail: {
      cluster: where.cluster,
      service: where.service,
      deploymentId: newest.id,
      taskDefinitionArn: newest.taskDefinitionArn,
      deploymentStartedAt: newest.createdAt,
      ...(newest.rolloutState !== undefined ? { rolloutState: newest.rolloutState } : {}),
      threshold: settings.threshold,
      windowMinutes: settings.windowMinutes,
      notifyOnly: settings.notifyOnly,
      stops,
    },
  };
}

/** Handles one task state change event. */
export async function detect(event: unknown, deps: DetectorDeps): Promise<DetectorResult> {
  const stop = narrowTaskStateChange(event);
  const taskId = taskIdOf(stop.taskArn);
  if (stop.desiredStatus !== 'STOPPED') {
    return { outcome: 'not-stopping', taskId, message: `Task ${taskId} is not stopping (desiredStatus ${stop.desiredStatus}).` };
  }
  const where = serviceOf(stop);
  if (where === undefined) {
    return { outcome: 'not-attributed', taskId, message: `Task ${taskId} does not belong to a service (group ${stop.group ?? 'none'}).` };
  }
  const base = { ...where, taskId };
  const classification = classifyStop(stop);
  if (!classification.counts || classification.cause === undefined) {
    return { ...base, outcome: 'not-counted', message: `Task ${taskId}: ${classification.message}` };
  }
  const newest = await deps.newestDeployment(where.cluster, where.service);
  const own = newest !== undefined && stop.startedBy === newest.id ? await deps.findOwnDeployment(newest.id) : undefined;
  const attribution = attributeStop(stop, newest, deps.settings, own !== undefined);
  if (!attribution.counts || newest === undefined) {
    return { ...base, outcome: 'not-attributed', message: `Task ${taskId}: ${attribution.counts ? '' : attribution.reason}` };
  }
  const deploymentId = newest.id;
  const counted = await deps.count(where.cluster, where.service, deploymentId, evidenceOf(stop, classification.cause));
  const facts = { ...base, deploymentId, count: counted.count };
  const duplicate = { ...facts, outcome: 'duplicate', message: `Task ${taskId} was already counted for deployment ${deploymentId}.` } as const;
  if (!reachesThreshold(counted.count, deps.settings)) {
    if (!counted.counted) return duplicate;
    return {
      ...facts,
      outcome: 'counted',
      message: `Task ${taskId} counted: ${counted.count} of ${deps.settings.threshold} bad-version stops of deployment ${deploymentId}.`,
    };
  }
  const executionName = detectorExecutionName(where.cluster, where.service, deploymentId);
  if (counted.startedExecution !== undefined) {
    if (!counted.counted) return duplicate;
    return {
      ...facts,
      outcome: 'already-started',
      executionName,
      executionArn: counted.startedExecution,
      message: `Deployment ${deploymentId} already started ${counted.startedExecution}.`,
    };
  }
  const input = startInputFor({ ...stop, ...where }, newest, counted, deps.settings, executionName);
  const started = await deps.startExecution(executionName, JSON.stringify(input));
  await deps.markStarted(where.cluster, where.service, deploymentId, started.executionArn);
  return {
    ...facts,
    outcome: started.alreadyExists ? 'already-started' : 'started',
    executionName,
    executionArn: started.executionArn,
    message: `${counted.count} bad-version stops of deployment ${deploymentId}: ${started.alreadyExists ? 'the rollback was already started' : 'rollback started'} (${executionName}${deps.settings.notifyOnly ? ', notify-only' : ''}).`,
  };
}
