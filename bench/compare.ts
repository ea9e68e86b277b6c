/**
 * Every side on every scenario over the same seeds, aggregated (p50 / p90 / p95), and the
 * sensitivity rows: each estimate of AWS_TIMINGS at its other values.
 */
import type { Bundles } from '../local/harness/bundles';
import { AWS_TIMINGS, formatFigure, type Range, type SensitivityValue, type TimingKey } from '../local/stand-in/aws-timings';
import type { LambdaFunctionId } from '../local/harness/run';
import { type Moments, type Quantiles, quantiles, type RunMeasures } from './measures';
import { BENCH_SCENARIOS, type BenchScenario, NOT_APPLICABLE, OursSession, type Overrides, runModelSide, SIDES, type Side, type SideRun } from './sides';
import { median } from './stats';

/** One side over every seed of a scenario. */
export interface SideSummary {
  readonly runs: number;
  /** Runs in which the service came back on a good version. */
  readonly recoveredRuns: number;
  readonly badServiceWindowSeconds: Quantiles;
  readonly recoveredSeconds: Quantiles;
  readonly tasksStarted: Quantiles;
  readonly tasksStopped: Quantiles;
  readonly capacityLostTaskSeconds: Quantiles;
  /** Median seconds after the bad deployment started of each moment (the timeline chart). */
  readonly timeline: Readonly<Partial<Record<keyof Omit<Moments, 'deployed'>, number>>>;
  /** Our sides: the first observable failure → the rollback call (UpdateService or StopServiceDeployment). */
  readonly detectionSeconds?: Quantiles;
  /** Our sides: the rollback call → the rollback's targets healthy (ECS's own part). */
  readonly ecsRollbackSeconds?: Quantiles;
  /** Our sides: ECS Task State Change events of the service per deployment (what a rule without a filter would deliver). */
  readonly taskEvents?: Quantiles;
  /** Our sides: events the detector's rule delivered per deployment, one Lambda invocation each (0: the alarm path). */
  readonly detectorInvocations?: Quantiles;
  /** Our sides: state machine executions started per deployment. */
  readonly executions?: Quantiles;
  /** Our sides: runs rolled back with StopServiceDeployment (ROLLBACK), the rest with UpdateService. */
  readonly nativeRollbackRuns?: number;
}

/** Our run's own figures over every seed of a scenario. */
export interface OursSummary {
  readonly overFloor: Quantiles;
  readonly triggerToRecoveredSeconds: Quantiles;
  readonly floorSeconds: Quantiles;
  /** The most state transitions any run took, and the median. */
  readonly transitionsMax: number;
  readonly transitionsP50: number;
  readonly callsP50: number;
  readonly realMsP50: number;
  /** Runs whose execution did not succeed or never declared recovery. */
  readonly failedRuns: number;
}

/** One scenario. */
export interface ScenarioSummary {
  readonly sides: Readonly<Partial<Record<Side, SideSummary>>>;
  readonly ours?: OursSummary;
}

/** One sensitivity row: an estimate at another value. */
export interface SensitivityRow {
  readonly estimate: TimingKey;
  readonly label: string;
  readonly value: string;
  readonly scenario: BenchScenario;
  readonly runs: number;
  /** p50 time to recovered per side, seconds; null when no run of that side recovered. */
  readonly recoveredP50: Readonly<Partial<Record<Side, number | null>>>;
  /** Our sides (ours, oursTaskDetector): p50 detection, first failure → rollback call, seconds; null when no run rolled back. */
  readonly detectionP50?: Readonly<Partial<Record<Side, number | null>>>;
  readonly oursOverFloor?: Quantiles;
}

/** Everything the comparison measured. */
export interface Comparison {
  readonly runs: number;
  readonly scenarios: Readonly<Record<BenchScenario, ScenarioSummary>>;
  readonly sensitivity: readonly SensitivityRow[];
}

const s = (ms: number) => ms / 1000;

/** Aggregates one side's runs; undefined when no run recovered. */
export function summariseSide(runs: readonly SideRun[]): SideSummary | undefined {
  const measured = runs.map((r) => r.measures).filter((m): m is RunMeasures => m !== undefined);
  if (measured.length === 0) return undefined;
  const of = (pick: (m: RunMeasures) => number) => quantiles(measured.map(pick));
  const moment = (key: keyof Omit<Moments, 'deployed'>) => {
    const values = measured.map((m) => m.moments[key]).filter((v): v is number => v !== undefined);
    return values.length === 0 ? undefined : median(values.map((v, i) => s(v - measured[i]!.moments.deployed)));
  };
  const timeline: Partial<Record<keyof Omit<Moments, 'deployed'>, number>> = {};
  for (const key of ['firstFailure', 'detection', 'ecsStart', 'healthy', 'drained'] as const) {
    const value = moment(key);
    if (value !== undefined) timeline[key] = value;
  }
  const detections = runs.map((r) => r.detection).filter((d) => d !== undefined);
  const detection =
    detections.length === 0
      ? {}
      : {
          detectionSeconds: quantiles(detections.map((d) => s(d.detectionMs))),
          ecsRollbackSeconds: quantiles(detections.map((d) => s(d.ecsRollbackMs))),
          taskEvents: quantiles(detections.map((d) => d.taskEvents)),
          detectorInvocations: quantiles(detections.map((d) => d.detectorInvocations)),
          executions: quantiles(detections.map((d) => d.executions)),
          nativeRollbackRuns: detections.filter((d) => d.method === 'StopServiceDeployment').length,
        };
  return {
    runs: runs.length,
    recoveredRuns: measured.length,
    ...detection,
    badServiceWindowSeconds: of((m) => s(m.badServiceWindowMs)),
    recoveredSeconds: of((m) => s(m.recoveredMs)),
    tasksStarted: of((m) => m.tasksStarted),
    tasksStopped: of((m) => m.tasksStopped),
    capacityLostTaskSeconds: of((m) => m.capacityLostTaskSeconds),
    timeline,
  };
}

/** Aggregates our runs' own figures. */
export function summariseOurs(runs: readonly SideRun[]): OursSummary | undefined {
  const details = runs.map((r) => r.ours).filter((d) => d !== undefined);
  if (details.length === 0) return undefined;
  return {
    overFloor: quantiles(details.map((d) => d.overFloor)),
    triggerToRecoveredSeconds: quantiles(details.map((d) => s(d.triggerToRecoveredMs))),
    floorSeconds: quantiles(details.map((d) => s(d.floorMs))),
    transitionsMax: Math.max(...details.map((d) => d.transitions)),
    transitionsP50: median(details.map((d) => d.transitions)),
    callsP50: median(details.map((d) => d.calls)),
    realMsP50: median(details.map((d) => d.realMs)),
    failedRuns: runs.length - details.filter((d) => d.status === 'SUCCEEDED').length,
  };
}

/** The sides that apply to a scenario. */
export function sidesFor(scenario: BenchScenario): Side[] {
  return SIDES.filter((side) => NOT_APPLICABLE[scenario][side] === undefined);
}

interface RunOptions {
  readonly session: OursSession;
  readonly loadMs: Readonly<Partial<Record<LambdaFunctionId, number>>>;
  readonly progress: (line: string) => void;
}

async function runSides(scenario: BenchScenario, sides: readonly Side[], seeds: readonly number[], options: RunOptions, overrides: Overrides = {}): Promise<Map<Side, SideRun[]>> {
  const results = new Map<Side, SideRun[]>();
  for (const side of sides) {
    const runs: SideRun[] = [];
    for (const seed of seeds) {
      runs.push(
        side === 'ours'
          ? await options.session.run(scenario, seed, options.loadMs, overrides)
          : side === 'oursTaskDetector'
            ? await options.session.runDetector(scenario, seed, options.loadMs, overrides)
            : runModelSide(scenario, side, seed, overrides),
      );
    }
    results.set(side, runs);
  }
  return results;
}

function summarise(results: Map<Side, SideRun[]>): ScenarioSummary {
  const sides: Partial<Record<Side, SideSummary>> = {};
  for (const [side, runs] of results) {
    const summary = summariseSide(runs);
    if (summary !== undefined) sides[side] = summary;
  }
  const oursRuns = results.get('ours');
  const ours = oursRuns === undefined ? undefined : summariseOurs(oursRuns);
  return { sides, ...(ours === undefined ? {} : { ours }) };
}

/** How a sensitivity value of an estimate becomes overrides, and which scenario and sides it moves. */
export function sensitivityOverrides(key: TimingKey, value: SensitivityValue): { overrides: Overrides; scenario: BenchScenario; sides: Side[] } | undefined {
  if (value === 'never') {
    // ECS never stops an unhealthy task: targets stay unhealthy, the detector has nothing to count
    return key === 'unhealthyTaskStopSeconds' ? { overrides: { timings: { unhealthyTaskStopMs: undefined } }, scenario: 'alarm-after-deploy', sides: sidesFor('alarm-after-deploy') } : undefined;
  }
  const r = (v: number | Range, scale: number): { min: number; max: number } =>
    typeof v === 'number' ? { min: v * scale, max: v * scale } : { min: v.min * scale, max: v.max * scale };
  const ecsSides: Side[] = ['ours', 'ecsCircuitBreaker', 'floor'];
  switch (key) {
    case 'healthCheckPhaseSeconds':
      return { overrides: { timings: { healthCheckPhase: r(value, 1 / AWS_TIMINGS.healthCheckIntervalSeconds.value) } }, scenario: 'deployment-failed', sides: ecsSides };
    case 'fargateStartSeconds':
      return { overrides: { timings: { fargateStartMs: r(value, 1000) } }, scenario: 'deployment-failed', sides: ecsSides };
    case 'albMetricDelaySeconds':
      return { overrides: { timings: { metricDelayMs: r(value, 1000) } }, scenario: 'alarm-after-deploy', sides: ['ours', 'ecsDeploymentAlarms', 'floor'] };
    case 'ecsAlarmPollSeconds':
      return { overrides: { timings: { ecsAlarmPollMs: r(value, 1000) } }, scenario: 'alarm-after-deploy', sides: ['ecsDeploymentAlarms'] };
    case 'ecsBakeTimeSeconds':
      return { overrides: { timings: { ecsBakeTimeMs: r(value, 1000).min } }, scenario: 'alarm-after-deploy', sides: ['ecsDeploymentAlarms'] };
    case 'eventBridgeDeliveryMs':
      return { overrides: { eventBridgeDeliveryMs: r(value, 1) }, scenario: 'deployment-failed', sides: ['ours'] };
    case 'lambdaColdInitMs':
      return { overrides: { lambdaColdInitMs: r(value, 1) }, scenario: 'deployment-failed', sides: ['ours'] };
    case 'lambdaWarmInvokeMs':
      return { overrides: { lambdaWarmInvokeMs: r(value, 1) }, scenario: 'deployment-failed', sides: ['ours'] };
    case 'lambdaReuseIdleMinutes':
      return { overrides: { lambdaReuseIdleMinutes: r(value, 1).min }, scenario: 'deployment-failed', sides: ['ours'] };
    case 'apiCallMs':
      return { overrides: { apiCallMs: r(value, 1) }, scenario: 'deployment-failed', sides: ['ours'] };
    case 'unhealthyTaskStopSeconds':
      // every side of the scenario whose tasks turn unhealthy: the alarm path and the detector both move
      return { overrides: { timings: { unhealthyTaskStopMs: r(value, 1000).min } }, scenario: 'alarm-after-deploy', sides: sidesFor('alarm-after-deploy') };
    case 'humanReportMinutes':
      return { overrides: { humanReportMinutes: r(value, 1).min }, scenario: 'alarm-after-deploy', sides: ['seed'] };
    case 'humanStartMinutes':
      return { overrides: { humanStartMinutes: r(value, 1).min }, scenario: 'alarm-after-deploy', sides: ['seed'] };
    default:
      return undefined;
  }
}

/** Every estimate of the table with sensitivity values. */
export function estimates(): [TimingKey, readonly SensitivityValue[]][] {
  return (Object.entries(AWS_TIMINGS) as [TimingKey, (typeof AWS_TIMINGS)[TimingKey]][]).flatMap(([key, fact]) =>
    'estimate' in fact ? [[key, fact.estimate.sensitivity] as [TimingKey, readonly SensitivityValue[]]] : [],
  );
}

/** Runs every side `runs` times per scenario, then each estimate's sensitivity values (`sensitivityRuns` seeds each). */
export async function compareSides(
  options: Omit<RunOptions, 'session'> & { readonly bundles: Bundles; readonly runs: number; readonly sensitivityRuns: number },
): Promise<Comparison> {
  const session = await OursSession.start(options.bundles);
  try {
    return await compareWith({ ...options, session });
  } finally {
    await session.dispose();
  }
}

async function compareWith(options: RunOptions & { readonly runs: number; readonly sensitivityRuns: number }): Promise<Comparison> {
  const seeds = Array.from({ length: options.runs }, (_, i) => i + 1);
  const scenarios = {} as Record<BenchScenario, ScenarioSummary>;
  for (const scenario of BENCH_SCENARIOS) {
    options.progress(`${scenario}: ${sidesFor(scenario).join(', ')} × ${options.runs} seeds`);
    scenarios[scenario] = summarise(await runSides(scenario, sidesFor(scenario), seeds, options));
  }
  const sensitivity: SensitivityRow[] = [];
  const sensitivitySeeds = seeds.slice(0, options.sensitivityRuns);
  for (const [key, values] of estimates()) {
    for (const value of values) {
      const plan = sensitivityOverrides(key, value);
      if (plan === undefined) continue;
      const fact = AWS_TIMINGS[key];
      const results = await runSides(plan.scenario, plan.sides, plan.sides.includes('ours') ? sensitivitySeeds : seeds, options, plan.overrides);
      const summary = summarise(results);
      const recoveredP50: Partial<Record<Side, number | null>> = {};
      for (const side of plan.sides) recoveredP50[side] = summary.sides[side]?.recoveredSeconds.p50 ?? null;
      const ourSides = plan.sides.filter((side) => side === 'ours' || side === 'oursTaskDetector');
      const detectionP50: Partial<Record<Side, number | null>> = {};
      for (const side of ourSides) detectionP50[side] = summary.sides[side]?.detectionSeconds?.p50 ?? null;
      sensitivity.push({
        estimate: key,
        label: fact.label,
        value: formatFigure(value, fact.unit),
        scenario: plan.scenario,
        runs: plan.sides.includes('ours') ? sensitivitySeeds.length : seeds.length,
        recoveredP50,
        ...(ourSides.length === 0 ? {} : { detectionP50 }),
        ...(summary.ours === undefined ? {} : { oursOverFloor: summary.ours.overFloor }),
      });
      options.progress(`sensitivity ${key} = ${formatFigure(value, fact.unit)}: recovered ${JSON.stringify(recoveredP50)}${ourSides.length === 0 ? '' : `, detection ${JSON.stringify(detectionP50)}`}`);
    }
  }
  return { runs: options.runs, scenarios, sensitivity };
}
