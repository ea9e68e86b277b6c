/**
 * Figures 1 and 2: time to recovered on the stand-in's modelled clock, ours (the real ASL with the
 * CDK-built bundles, through local/harness) beside the seed's pipeline (bench/baseline.ts) and the
 * floor ECS sets (the rollback's new targets healthy); orchestration overhead of our run.
 */
import type { StabilityResult } from '../lambdas/shared/types';
import type { Bundles } from '../local/harness/bundles';
import { runScenario, type ScenarioName, SCENARIOS } from '../local/harness/scenarios';
import { createWorld, RIDERAPP, type World } from '../local/harness/world';
import type { TaskHandler } from '../statemachine/local';
import type { TaskFunctionId } from '../statemachine/definition';
import type { AwsModel, CallRecord } from '../local/stand-in/index';
import { type BaselineRun, runSeedBaseline } from './baseline';

/** The real epoch in ms (Date is the modelled clock while a world lives). */
export function realEpochMs(): number {
  return performance.timeOrigin + performance.now();
}

/** One handler invocation, as the bench saw it. */
interface Invocation {
  readonly id: TaskFunctionId;
  readonly modelEnd: number;
  readonly realEnd: number;
  readonly result: unknown;
}

/** Our run of one scenario. */
export interface OursRun {
  readonly scenario: ScenarioName;
  /** Expectations of the scenario that did not hold (empty: it ended as expected). */
  readonly unmet: readonly string[];
  readonly status: string;
  /** Modelled ms from the trigger to CheckStability returning RECOVERED or COMPLETED. */
  readonly recoveredMs?: number;
  /** ...and its status. */
  readonly recoveredStatus?: string;
  /** Modelled ms from the trigger to the success notification (SNS Publish). */
  readonly notifiedMs?: number;
  /** Modelled ms from the trigger to the end of the execution. */
  readonly executionMs: number;
  /** Modelled ms from the trigger to the accepted UpdateService call. */
  readonly updateServiceMs?: number;
  /** Real ms from the trigger handed to the state machine to the accepted UpdateService call. */
  readonly updateServiceRealMs?: number;
  /** Modelled ms from UpdateService until every new target was healthy (what ECS itself takes). */
  readonly ecsMs?: number;
  /** Modelled / real ms from every new target healthy to recovery declared. */
  readonly healthyToRecoveredMs?: number;
  readonly healthyToRecoveredRealMs?: number;
  /** Fargate start + health check interval × healthy threshold of the service's target group (the stand-in's timings). */
  readonly floorFromTimingsMs: number;
  /** Real ms the whole execution took. */
  readonly realMs: number;
  readonly transitions: number;
  readonly statesEntered: readonly string[];
  readonly calls: readonly CallRecord[];
}

/** One scenario: ours, the seed's baseline and the floor. */
export interface RecoveryFigures {
  readonly scenario: ScenarioName;
  readonly ours: OursRun;
  readonly baseline: BaselineRun;
  /** The floor: the rollback deployment's new targets healthy, had it started at the trigger (measured in our run). */
  readonly floorMs?: number;
  /** The same floor from the stand-in's timings: Fargate start + health check interval × healthy threshold. */
  readonly floorFromTimingsMs: number;
}

/** Modelled time at which every task of the newest deployment started at or after `since` had all its targets healthy. */
export function newTargetsHealthyAt(model: AwsModel, cluster: string, service: string, since: number): number | undefined {
  const record = model.getService(cluster, service);
  const primary = record.deployments[0];
  if (primary === undefined) return undefined;
  const tasks = model.serviceTasks(record).filter((t) => t.deploymentId === primary.id && t.createdAt >= since && t.desiredStatus === 'RUNNING');
  if (tasks.length === 0) return undefined;
  let latest = Number.NEGATIVE_INFINITY;
  for (const lb of record.loadBalancers) {
    const tg = model.findTargetGroup(lb.targetGroupArn);
    for (const task of tasks) {
      const target = tg?.targets.get(`${task.ip}:${lb.containerPort}`);
      if (target === undefined || target.taskArn !== task.arn || target.state !== 'healthy') return undefined;
      latest = Math.max(latest, target.since);
    }
  }
  return Number.isFinite(latest) ? latest : undefined;
}

function isRecovered(id: TaskFunctionId, result: unknown): boolean {
  const status = (result as StabilityResult | undefined)?.status;
  return id === 'CheckStability' && (status === 'RECOVERED' || status === 'COMPLETED');
}

/** Runs one scenario through the real ASL with the given bundles and measures it. */
export async function measureOurs(name: ScenarioName, bundles: Bundles): Promise<OursRun> {
  const scenario = SCENARIOS[name];
  const world = await createWorld({ ...scenario.world, bundles });
  try {
    const invocations: Invocation[] = [];
    const handlers = Object.fromEntries(
      (Object.entries(world.handlers) as [TaskFunctionId, TaskHandler][]).map(([id, handler]) => [
        id,
        async (event: unknown, context: Parameters<TaskHandler>[1]) => {
          const result = await handler(event, context);
          invocations.push({ id, modelEnd: world.now(), realEnd: realEpochMs(), result });
          return result;
        },
      ]),
    ) as Record<TaskFunctionId, TaskHandler>;
    const measured: World = { ...world, handlers };
    let startReal = 0;
    const outcome = await runScenario(measured, scenario, { onTrigger: () => (startReal = realEpochMs()) });
    const { run } = outcome;
    const trigger = run.triggerTime;
    const update = run.calls.find((c) => c.operation === 'UpdateService' && c.status < 300);
    const recovered = invocations.find((i) => isRecovered(i.id, i.result));
    const published = run.calls.find((c) => c.operation === 'Publish' && c.status < 300);
    const healthyAt = update === undefined ? undefined : newTargetsHealthyAt(world.model, RIDERAPP.cluster, RIDERAPP.service, update.modelTime);
    const tg = world.model.findTargetGroup(world.model.getService(RIDERAPP.cluster, RIDERAPP.service).loadBalancers[0]?.targetGroupArn ?? '');
    const floorFromTimingsMs = world.model.timings.fargateStartMs + (tg === undefined ? 0 : tg.healthCheckIntervalSeconds * tg.healthyThresholdCount * 1000);
    const firstCallAfterHealthy = healthyAt === undefined ? undefined : run.calls.find((c) => c.modelTime >= healthyAt);
    return {
      scenario: name,
      unmet: scenario.verify(world, outcome),
      status: run.result.status,
      ...(recovered === undefined
        ? {}
        : { recoveredMs: recovered.modelEnd - trigger, recoveredStatus: (recovered.result as StabilityResult).status }),
      ...(published === undefined ? {} : { notifiedMs: published.modelTime - trigger }),
      executionMs: run.modelMs,
      ...(update === undefined ? {} : { updateServiceMs: update.modelTime - trigger, updateServiceRealMs: update.realTime - startReal }),
      ...(healthyAt === undefined || update === undefined ? {} : { ecsMs: healthyAt - update.modelTime }),
      ...(healthyAt === undefined || recovered === undefined ? {} : { healthyToRecoveredMs: recovered.modelEnd - healthyAt }),
      ...(firstCallAfterHealthy === undefined || recovered === undefined
        ? {}
        : { healthyToRecoveredRealMs: recovered.realEnd - firstCallAfterHealthy.realTime }),
      floorFromTimingsMs,
      realMs: run.realMs,
      transitions: run.result.transitions,
      statesEntered: run.result.statesEntered,
      calls: run.calls,
    };
  } finally {
    await world.dispose();
  }
}

/** The seed's pipeline on the same scenario, in a world of its own. */
export async function measureBaseline(name: ScenarioName, bundles: Bundles): Promise<BaselineRun> {
  const scenario = SCENARIOS[name];
  const world = await createWorld({ ...scenario.world, bundles });
  try {
    const trigger = scenario.prepare(world);
    const time = (trigger.input as { time?: string }).time;
    const triggerTime = time === undefined ? world.now() : Date.parse(time);
    return await runSeedBaseline(world.standIn, { cluster: RIDERAPP.cluster, service: RIDERAPP.service, repository: RIDERAPP.ecrRepository, triggerTime });
  } finally {
    await world.dispose();
  }
}

/** Figures 1 and 2 for one scenario. */
export async function measureRecovery(name: ScenarioName, bundles: Bundles): Promise<RecoveryFigures> {
  const ours = await measureOurs(name, bundles);
  const baseline = await measureBaseline(name, bundles);
  return {
    scenario: name,
    ours,
    baseline,
    ...(ours.ecsMs === undefined ? {} : { floorMs: ours.ecsMs }),
    floorFromTimingsMs: ours.floorFromTimingsMs,
  };
}
