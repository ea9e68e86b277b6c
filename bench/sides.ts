/**
 * One seeded run of a scenario for every side, on the same stand-in (same seed: the same Fargate
 * start times and health check phases for the same tasks), measured the same way (bench/measures.ts):
 *
 * - `ours`: the real ASL with the CDK-built bundles (local/harness), started by the stand-in's
 *   event after the EventBridge delivery delay; the service's circuit breaker on, its rollback off.
 *   Lambda invocations cold (runtime init + the measured bundle load) or warm (container reuse),
 *   each AWS call its latency.
 * - `oursTaskDetector`: the same, with the task-stop detector deployed (local/harness/detector.ts): its
 *   rule feeds it the stand-in's task state changes, it starts the state machine itself. A
 *   deployment still in flight is rolled back by ECS (StopServiceDeployment, ROLLBACK).
 * - `ecsCircuitBreaker`: the same service with `rollback: true` (ECS rolls back by itself).
 * - `ecsDeploymentAlarms`: ECS watches the alarm during the deployment and its bake time, rollback on.
 * - `seed`: the seed's pipeline (ECR's second-newest image into a copy of the task definition,
 *   UpdateService), started by a person: reported `humanReportMinutes` after the first failure,
 *   started `humanStartMinutes` later (the seed's own example).
 * - `floor`: UpdateService to the known-good revision at the trigger itself, nothing in between:
 *   what ECS takes from a rollback call to the new targets healthy.
 *
 * Every side runs in the stand-in's default world (AWS_TIMINGS), the same for all: among others, ECS
 * stops a task whose target turned unhealthy after `unhealthyTaskStopSeconds` (an estimate) and
 * starts another of the same revision, so the bad version's replacements count as churn and the
 * UnHealthyHostCount alarm sees an unhealthy target only until its task is stopped. A sensitivity
 * row sets another value for every side of its scenario at once (Overrides.timings).
 */
import { DeleteItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { SERVICES_CONFIG_ITEM_ID } from '../lambdas/shared/config';
import type { Bundles } from '../local/harness/bundles';
import { attachDetector } from '../local/harness/detector';
import { type InvocationLatency, type LambdaFunctionId, type RollbackRun, runRollback, stepFunctionsOf } from '../local/harness/run';
import { createWorld, RIDERAPP, type World } from '../local/harness/world';
import { AWS_TIMINGS, draw, type Range } from '../local/stand-in/aws-timings';
import { IdGenerator } from '../local/stand-in/ids';
import {
  AwsModel,
  type CallRecord,
  ModelClock,
  type ModelTransition,
  type RiderappSeedOptions,
  type StandInEvent,
  seedRiderapp,
  type Timings,
} from '../local/stand-in/index';
import { measureRun, type RunMeasures } from './measures';
import { secondNewestImageTag } from './seed-pipeline';

/** The scenarios every side runs. */
export const BENCH_SCENARIOS = ['deployment-failed', 'alarm-after-deploy'] as const;
export type BenchScenario = (typeof BENCH_SCENARIOS)[number];

/** The sides, in report order. */
export const SIDES = ['ours', 'oursTaskDetector', 'ecsCircuitBreaker', 'ecsDeploymentAlarms', 'seed', 'floor'] as const;
export type Side = (typeof SIDES)[number];

/** Which sides apply to a scenario (and why the others do not, for the report). */
export const NOT_APPLICABLE: Readonly<Record<BenchScenario, Partial<Record<Side, string>>>> = {
  'deployment-failed': {
    ecsDeploymentAlarms:
      'the tasks never start, so they never register and no UnHealthyHostCount alarm fires: deployment alarms alone never act (the circuit breaker does)',
  },
  'alarm-after-deploy': {
    ecsCircuitBreaker:
      'these tasks start, pass their health checks and fail only after the deployment completed, when the circuit breaker no longer watches; ECS replaces each failing task with another of the same revision, so it never acts and the service stays broken',
  },
};

/** Modelled start of every run (the same for every side). */
export const RUN_START = Date.UTC(2026, 0, 5, 12, 0, 0);

/** Values other than AWS_TIMINGS a sensitivity row sets (bench-side figures and the stand-in's timings). */
export interface Overrides {
  readonly timings?: Partial<Timings>;
  readonly eventBridgeDeliveryMs?: Range;
  readonly lambdaColdInitMs?: Range;
  readonly lambdaWarmInvokeMs?: Range;
  readonly lambdaReuseIdleMinutes?: number;
  readonly apiCallMs?: Range;
  readonly humanReportMinutes?: number;
  /** Minutes from the report to the person starting the pipeline (AWS_TIMINGS.humanStartMinutes). */
  readonly humanStartMinutes?: number;
}

/** What our run adds to its measures. */
export interface OursDetail {
  /** Modelled ms from the trigger (the event's time) to CheckStability declaring recovery. */
  readonly triggerToRecoveredMs: number;
  /** ECS's own time in this run: UpdateService accepted → the rollback's targets healthy. */
  readonly floorMs: number;
  /** (recovered − trigger) / floor. */
  readonly overFloor: number;
  readonly transitions: number;
  readonly calls: number;
  readonly status: string;
  readonly realMs: number;
}

/** How one of our runs detected the bad version and how ECS rolled back (`ours`, `oursTaskDetector`). */
export interface DetectionDetail {
  /** Modelled ms from the first observable failure (a task failing to start, the first failed health check) to the rollback call. */
  readonly detectionMs: number;
  /** Modelled ms from the rollback call to the rollback's targets healthy. */
  readonly ecsRollbackMs: number;
  /** The rollback call: UpdateService, or StopServiceDeployment (ROLLBACK) for a deployment still in flight. */
  readonly method: 'UpdateService' | 'StopServiceDeployment';
  /** ECS Task State Change events of the service from the deployment to the end of the run (all of them). */
  readonly taskEvents: number;
  /** Of those, the events the detector's rule delivered: one Lambda invocation each (0 for the alarm path). */
  readonly detectorInvocations: number;
  /** State machine executions started. */
  readonly executions: number;
}

/** One side's run. */
export interface SideRun {
  readonly side: Side;
  /** Undefined when the service never came back on a good version within the horizon. */
  readonly measures?: RunMeasures;
  readonly ours?: OursDetail;
  readonly detection?: DetectionDetail;
}

const HORIZON_MS = 90 * 60_000;
const range = (value: number | Range): Range => (typeof value === 'number' ? { min: value, max: value } : value);

function riderappOptions(scenario: BenchScenario, side: Side): RiderappSeedOptions {
  return { v15Behaviour: scenario === 'alarm-after-deploy' ? 'regression' : 'bad', ecsRollback: side === 'ecsCircuitBreaker' };
}

function isTrigger(scenario: BenchScenario, event: StandInEvent): boolean {
  if (scenario === 'deployment-failed') return event['detail-type'] === 'ECS Deployment State Change' && event.detail.eventName === 'SERVICE_DEPLOYMENT_FAILED';
  return event['detail-type'] === 'CloudWatch Alarm State Change' && event.detail.state.value === 'ALARM';
}

/** Runs the model's jobs in time order until `done()` or `until` (modelled epoch ms). */
export function runUntil(model: AwsModel, done: () => boolean, until: number): void {
  model.tick();
  while (!done()) {
    const next = model.nextJobAt();
    if (next === undefined || next > until) {
      if (model.now() < until && next === undefined) model.advance(until - model.now());
      return;
    }
    model.advance(Math.max(0, next - model.now()));
  }
}

/** Deploys riderapp:15 and runs until the scenario's trigger event; returns it and when the deployment started. */
export function stage(model: AwsModel, scenario: BenchScenario): { deployedAt: number; event: StandInEvent } {
  const staged = tryStage(model, scenario);
  if (staged.event === undefined) throw new Error(`${scenario}: no trigger event within ${HORIZON_MS / 60_000} modelled minutes`);
  return { deployedAt: staged.deployedAt, event: staged.event };
}

/** {@link stage}, with no event when the trigger never came within the horizon (e.g. an alarm that never fires). */
function tryStage(model: AwsModel, scenario: BenchScenario): { deployedAt: number; event?: StandInEvent } {
  const deployedAt = model.now();
  const from = model.emitted.length;
  model.deploy(RIDERAPP.cluster, RIDERAPP.service, 'riderapp:15');
  const found = () => model.emitted.slice(from).find((e) => isTrigger(scenario, e));
  runUntil(model, () => found() !== undefined, deployedAt + HORIZON_MS);
  const event = found();
  return event === undefined ? { deployedAt } : { deployedAt, event };
}

/** The first observable failure after `since`: a task failing to start or the first failed health check. */
export function firstFailureAt(history: readonly ModelTransition[], since: number): number | undefined {
  return history.find((e) => e.at >= since && ((e.kind === 'task' && e.status === 'FAILED') || e.kind === 'check-failed'))?.at;
}

/** The seed's pipeline on the model: ECR's second-newest image into a copy of the running task definition, then UpdateService. */
export function seedRollback(model: AwsModel): string {
  const repository = model.findRepository(RIDERAPP.ecrRepository);
  const tag = secondNewestImageTag((repository?.images ?? []).map((i) => ({ imagePushedAt: new Date(i.pushedAt), imageTags: i.tags })));
  if (repository === undefined || tag === undefined) throw new Error('seed pipeline: fewer than two images');
  const service = model.getService(RIDERAPP.cluster, RIDERAPP.service);
  const current = model.findTaskDefinition(service.taskDefinitionArn)!;
  const [first, ...rest] = current.definition.containerDefinitions;
  const registered = model.registerTaskDefinition({
    ...current.definition,
    family: current.family,
    containerDefinitions: [{ ...first!, image: `${repository.uri}:${tag}` }, ...rest],
  });
  model.updateService({ cluster: RIDERAPP.cluster, service: RIDERAPP.service, taskDefinition: registered.arn });
  return registered.arn;
}

function settled(model: AwsModel, deployedAt: number, detectionAt?: number): RunMeasures | undefined {
  const measured = measureRun({
    history: model.history,
    serviceArn: model.serviceArn(RIDERAPP.cluster, RIDERAPP.service),
    desiredCount: 3,
    deployedAt,
    ...(detectionAt === undefined ? {} : { detectionAt }),
  });
  return measured?.moments.drained === undefined ? undefined : measured;
}

/** Runs on until the service is back on a good version with old tasks drained (or the horizon). */
function finish(model: AwsModel, deployedAt: number, detectionAt?: number): RunMeasures | undefined {
  let result: RunMeasures | undefined;
  const done = () => {
    result = settled(model, deployedAt, detectionAt);
    return result !== undefined;
  };
  runUntil(model, done, deployedAt + HORIZON_MS);
  return (
    result ??
    measureRun({
      history: model.history,
      serviceArn: model.serviceArn(RIDERAPP.cluster, RIDERAPP.service),
      desiredCount: 3,
      deployedAt,
      ...(detectionAt === undefined ? {} : { detectionAt }),
    })
  );
}

/** A model-only world as startStandIn builds it (same seed: same draws), for the sides without Lambdas. */
function modelWorld(scenario: BenchScenario, side: Side, seed: number, timings?: Partial<Timings>): AwsModel {
  const model = new AwsModel({ clock: new ModelClock({ speed: 0, start: RUN_START }), seed, ...(timings === undefined ? {} : { timings }) });
  seedRiderapp(model, riderappOptions(scenario, side));
  if (side === 'ecsDeploymentAlarms') {
    const service = model.getService(RIDERAPP.cluster, RIDERAPP.service);
    service.deploymentConfiguration = { ...service.deploymentConfiguration, alarms: { alarmNames: [RIDERAPP.alarmName], enable: true, rollback: true } };
  }
  return model;
}

/** One ECS-only, seed or floor run. */
export function runModelSide(scenario: BenchScenario, side: Exclude<Side, 'ours' | 'oursTaskDetector'>, seed: number, overrides: Overrides = {}): SideRun {
  const model = modelWorld(scenario, side, seed, overrides.timings);
  let deployedAt: number;
  let detectionAt: number | undefined;
  if (side === 'seed') {
    // A person reacts to the failures themselves, not to our trigger: the pipeline may run before the alarm fires.
    deployedAt = model.now();
    model.deploy(RIDERAPP.cluster, RIDERAPP.service, 'riderapp:15');
    runUntil(model, () => firstFailureAt(model.history, deployedAt) !== undefined, deployedAt + HORIZON_MS);
    const failure = firstFailureAt(model.history, deployedAt);
    if (failure === undefined) return { side };
    const reportMinutes = overrides.humanReportMinutes ?? AWS_TIMINGS.humanReportMinutes.value;
    detectionAt = failure + (reportMinutes + (overrides.humanStartMinutes ?? AWS_TIMINGS.humanStartMinutes.value)) * 60_000;
    runUntil(model, () => false, detectionAt);
    if (model.now() < detectionAt) model.advance(detectionAt - model.now());
    seedRollback(model);
  } else {
    const staged = tryStage(model, scenario);
    deployedAt = staged.deployedAt;
    if (side === 'floor') {
      if (staged.event === undefined) return { side };
      detectionAt = model.now();
      model.updateService({ cluster: RIDERAPP.cluster, service: RIDERAPP.service, taskDefinition: 'riderapp:14' });
    }
  }
  const measures = finish(model, deployedAt, detectionAt);
  const detected = detectionAt ?? measures?.moments.ecsStart;
  const withDetection = measures === undefined || detected === undefined ? measures : { ...measures, moments: { ...measures.moments, detection: detected } };
  return { side, ...(withDetection === undefined ? {} : { measures: withDetection }) };
}

/**
 * The detector's calls up to the K-th stop's StartExecution: DescribeServices, the loop guard's
 * deployment record (GetItem), the count (UpdateItem), the record of the start (UpdateItem), StartExecution.
 */
const DETECTOR_CALLS_TO_START = 5;

/** Lambda cold and warm starts (container reuse per function) and API latency, drawn from AWS_TIMINGS with a bench-side generator. */
export function invocationLatency(random: () => number, loadMs: Readonly<Partial<Record<LambdaFunctionId, number>>>, overrides: Overrides = {}): InvocationLatency {
  const lastUsed = new Map<LambdaFunctionId, number>();
  const reuseMs = (overrides.lambdaReuseIdleMinutes ?? AWS_TIMINGS.lambdaReuseIdleMinutes.value) * 60_000;
  return {
    invocationMs(id, now) {
      const last = lastUsed.get(id);
      lastUsed.set(id, now);
      if (last !== undefined && now - last <= reuseMs) return draw(overrides.lambdaWarmInvokeMs ?? AWS_TIMINGS.lambdaWarmInvokeMs.value, random);
      return draw(overrides.lambdaColdInitMs ?? AWS_TIMINGS.lambdaColdInitMs.value, random) + (loadMs[id] ?? 0);
    },
    apiCallMs: () => draw(overrides.apiCallMs ?? AWS_TIMINGS.apiCallMs.value, random),
  };
}

/** Empties the state table (locks, cool-downs, trigger claims) between runs; the deployed services configuration stays. */
async function clearStateTable(world: World): Promise<void> {
  const { client, tableName } = world.stateTable;
  for (;;) {
    const page = await client.send(new ScanCommand({ TableName: tableName, ProjectionExpression: 'id' }));
    const items = (page.Items ?? []).filter((item) => item['id']?.S !== SERVICES_CONFIG_ITEM_ID);
    for (const item of items) await client.send(new DeleteItemCommand({ TableName: tableName, Key: { id: item['id']! } }));
    if (items.length === 0 || page.LastEvaluatedKey === undefined) return;
  }
}

/** The rollback call among stand-in calls: the first accepted UpdateService or StopServiceDeployment (ROLLBACK). */
function rollbackCallOf(calls: readonly CallRecord[]): CallRecord | undefined {
  return calls.find((c) => c.service === 'ECS' && (c.operation === 'UpdateService' || c.operation === 'StopServiceDeployment') && c.status < 300);
}

/**
 * One of our runs as the report reads it, the same for both paths: how it detected and how ECS rolled
 * back (`detection`), and our own figures against the floor (`ours`).
 */
function ourRun(
  side: 'ours' | 'oursTaskDetector',
  input: {
    readonly measures: RunMeasures | undefined;
    readonly rollbackCall: CallRecord | undefined;
    readonly run: RollbackRun | undefined;
    readonly cost: Pick<DetectionDetail, 'taskEvents' | 'detectorInvocations' | 'executions'>;
  },
): SideRun {
  const { measures, rollbackCall, run, cost } = input;
  const detection: DetectionDetail | undefined =
    rollbackCall === undefined || measures === undefined
      ? undefined
      : {
          detectionMs: rollbackCall.modelTime - measures.moments.firstFailure,
          ecsRollbackMs: measures.moments.healthy - rollbackCall.modelTime,
          method: rollbackCall.operation === 'StopServiceDeployment' ? 'StopServiceDeployment' : 'UpdateService',
          ...cost,
        };
  const declared = run?.timeline.find((p) => p.state === 'CheckStability' && /^(RECOVERED|COMPLETED)/.test(p.note ?? ''));
  const ours: OursDetail | undefined =
    run === undefined || declared === undefined || detection === undefined
      ? undefined
      : {
          triggerToRecoveredMs: declared.atModelMs + declared.modelMs,
          floorMs: detection.ecsRollbackMs,
          overFloor: (declared.atModelMs + declared.modelMs) / detection.ecsRollbackMs,
          transitions: run.result.transitions,
          calls: run.calls.length,
          status: run.result.status,
          realMs: run.realMs,
        };
  return { side, ...(measures === undefined ? {} : { measures }), ...(ours === undefined ? {} : { ours }), ...(detection === undefined ? {} : { detection }) };
}

/**
 * Our runs share one world: the bundles are imported once (the slow part), and each run resets the
 * stand-in to a fresh account of its seed behind the same endpoint and empties the state table, so
 * every run starts as a fresh deployment would (Lambda cold starts are modelled per run).
 */
export class OursSession {
  private constructor(private readonly world: World) {}

  public static async start(bundles: Bundles): Promise<OursSession> {
    return new OursSession(await createWorld({ bundles, start: RUN_START }));
  }

  /** One run of ours: the alarm path (or ECS's deployment failure) starts the state machine. */
  public async run(
    scenario: BenchScenario,
    seed: number,
    loadMs: Readonly<Partial<Record<LambdaFunctionId, number>>>,
    overrides: Overrides = {},
  ): Promise<SideRun> {
    const { world, random } = await this.fresh(scenario, 'ours', seed, overrides);
    const model = world.model;
    const { deployedAt, event } = tryStage(model, scenario);
    if (event === undefined) return { side: 'ours' };
    const triggerTime = Date.parse(event.time);
    const startAt = triggerTime + draw(range(overrides.eventBridgeDeliveryMs ?? AWS_TIMINGS.eventBridgeDeliveryMs.value), random);
    if (model.now() < startAt) world.advance(startAt - model.now());
    const run = await runRollback(world, event, { triggerTime, latency: invocationLatency(random, loadMs, overrides) });
    const rollbackCall = rollbackCallOf(run.calls);
    const measures = finish(model, deployedAt, startAt);
    const taskEvents = model.emitted.filter((e) => e['detail-type'] === 'ECS Task State Change' && Date.parse(e.time) >= deployedAt).length;
    return ourRun('ours', { measures, rollbackCall, run, cost: { taskEvents, detectorInvocations: 0, executions: 1 } });
  }

  /**
   * One run of ours with the task-stop detector: the same seed and service; the detector's rule feeds
   * it every stop of the service's tasks, the detector starts the state machine (the alarm would
   * start a second execution that the lock and the trigger claims turn into a notification: it is
   * not run here). Detection is the first observable failure → the rollback call.
   */
  public async runDetector(
    scenario: BenchScenario,
    seed: number,
    loadMs: Readonly<Partial<Record<LambdaFunctionId, number>>>,
    overrides: Overrides = {},
  ): Promise<SideRun> {
    const { world, random } = await this.fresh(scenario, 'oursTaskDetector', seed, overrides);
    const model = world.model;
    const latency = invocationLatency(random, loadMs, overrides);
    // Each delivery: EventBridge's delay, the detector's Lambda start (cold with its measured bundle
    // load, or warm when its container is reused) and its calls up to StartExecution, all drawn.
    const invocationDelayMs = () =>
      draw(range(overrides.eventBridgeDeliveryMs ?? AWS_TIMINGS.eventBridgeDeliveryMs.value), random) +
      latency.invocationMs('DetectTaskStops', model.now()) +
      Array.from({ length: DETECTOR_CALLS_TO_START }, () => latency.apiCallMs()).reduce((a, b) => a + b, 0);
    const detector = await attachDetector(world, { invocationDelayMs });
    try {
      stepFunctionsOf(world).runOptions = { latency };
      const deployedAt = model.now();
      const callsBefore = world.standIn.calls.all().length;
      model.deploy(RIDERAPP.cluster, RIDERAPP.service, 'riderapp:15');
      await detector.advance({ withinMs: HORIZON_MS });
      const run = await detector.run();
      const rollbackCall = rollbackCallOf(world.standIn.calls.all().slice(callsBefore));
      const measures = finish(model, deployedAt, rollbackCall?.modelTime);
      await detector.idle();
      const cost = { taskEvents: detector.taskEvents(), detectorInvocations: detector.delivered.length, executions: detector.executions().length };
      return ourRun('oursTaskDetector', { measures, rollbackCall, run, cost });
    } finally {
      detector.detach();
      stepFunctionsOf(world).runOptions = {};
    }
  }

  /**
   * Resets the stand-in to a fresh account of the seed in the default world (the overrides' timings,
   * if a sensitivity row sets any, for every side alike) and empties the state table.
   */
  private async fresh(scenario: BenchScenario, side: 'ours' | 'oursTaskDetector', seed: number, overrides: Overrides): Promise<{ world: World; random: () => number }> {
    const { standIn } = this.world;
    standIn.reset({ start: RUN_START, seed, riderapp: riderappOptions(scenario, side), ...(overrides.timings === undefined ? {} : { timings: overrides.timings }) });
    await clearStateTable(this.world);
    const riderapp = standIn.riderapp;
    const world: World = { ...this.world, model: standIn.model, events: standIn.model.emitted, ...(riderapp === undefined ? {} : { riderapp }) };
    const bench = new IdGenerator((seed * 40503) ^ 0x2545f491);
    return { world, random: () => bench.next() };
  }

  public async dispose(): Promise<void> {
    await this.world.dispose();
  }
}
