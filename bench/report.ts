/**
 * The bench's verdicts and its renderings: the terminal tables, BENCHMARKS.md and the JSON that
 * `npm run -s bench -- --json` prints.
 */
import { AWS_TIMINGS, formatFigure, type TimingFact } from '../local/stand-in/aws-timings';
import { ECS_REQUEST_LIMITS, ECS_THROTTLING_SOURCE, UNLISTED_ACTION_LIMIT } from '../local/stand-in/throttling';
import type { ColdStartRow } from './cold-start';
import type { Comparison, ScenarioSummary, SideSummary } from './compare';
import type { ConcurrentFigures } from './concurrent';
import type { RunContext } from './machine';
import type { Quantiles } from './measures';
import { BENCH_SCENARIOS, type BenchScenario, NOT_APPLICABLE, SIDES, type Side } from './sides';
import { kib, markdownTable, millis, STATE_TRANSITION_PRICE_DATE, seconds, textTable, times, transitionCostUsd, verdict } from './stats';

/** One synth size. */
export interface SynthRow {
  readonly services: number;
  readonly synthMs: number;
  readonly startupMs: number;
  readonly templateBytes: number;
  readonly resources: number;
  /** EventBridge rules (the trigger patterns split to fit 2,048 characters, plus the lock release rule). */
  readonly rules?: number;
  /** IAM managed policies (per-service grants split by size). */
  readonly managedPolicies?: number;
}

/**
 * The account quotas the concurrent run is compared with: Step Functions StartExecution (Standard,
 * US East (N. Virginia), US West (Oregon), Europe (Ireland); 800 / 150 elsewhere) and Lambda's
 * concurrent executions per Region.
 */
export const ACCOUNT_QUOTAS = {
  startExecution: { bucket: 1300, refillPerSecond: 300, source: 'https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html#service-limits-api-action-throttling-general' },
  lambdaConcurrency: { value: 1000, source: 'https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html' },
} as const;

/** Everything one run measured. */
export interface BenchReport {
  readonly context: RunContext;
  readonly durationMs: number;
  readonly comparison: Comparison;
  readonly coldStart: readonly ColdStartRow[];
  readonly synth: readonly SynthRow[];
  /** Figures of other benches run alongside (bench/concurrent.ts, bench/synth-child.ts), wired into the JSON as they are. */
  readonly concurrent: ConcurrentFigures;
  readonly throttles: readonly { readonly service: string; readonly operation?: string; readonly times: number }[];
  /** Load average (1 min) when the bench started and ended: other processes on the machine slow real-time figures, not modelled ones. */
  readonly loadAverage: readonly [number, number];
  readonly broken: readonly string[];
}

/** The targets of issue 11 (and issue 6's that still hold). */
export const TARGETS = {
  oursOverFloorP50: 1.03,
  oursOverFloorP90: 1.06,
  transitions: 60,
  detectorOverAlarmDetection: 0.5,
  runs: 30,
  bundleBytes: 350 * 1024,
  loadOverNaive: 0.8,
  synth50Ms: 30_000,
} as const;

/** Labels of the sides. */
export const SIDE_LABELS: Readonly<Record<Side, string>> = {
  ours: 'ours (breaker on, its rollback off)',
  oursTaskDetector: 'ours + task-stop detector (K = 2)',
  ecsCircuitBreaker: 'ECS circuit breaker, rollback: true',
  ecsDeploymentAlarms: 'ECS deployment alarms, rollback: true',
  seed: 'seed pipeline + a person (15 + 2 min)',
  floor: 'floor (rollback called at the trigger)',
};

/** One target's line: what it asks, what was measured, met or not. */
export interface TargetVerdict {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

/** Problems that make this run broken (the exit code), one line each. */
export function brokenRuns(comparison: Comparison, concurrent: ConcurrentFigures): string[] {
  const broken: string[] = [];
  for (const scenario of BENCH_SCENARIOS) {
    const summary = comparison.scenarios[scenario];
    const ours = summary.sides.ours;
    if (ours === undefined || ours.recoveredRuns < ours.runs) {
      broken.push(`${scenario} (ours): ${ours === undefined ? 'no run' : `${ours.runs - ours.recoveredRuns} of ${ours.runs} runs`} did not bring the service back on a good version`);
    }
    if ((summary.ours?.failedRuns ?? 0) > 0) broken.push(`${scenario} (ours): ${summary.ours?.failedRuns} executions did not succeed or never declared recovery`);
    const detector = summary.sides.oursTaskDetector;
    if (detector !== undefined && detector.recoveredRuns < detector.runs) {
      broken.push(`${scenario} (oursTaskDetector): ${detector.runs - detector.recoveredRuns} of ${detector.runs} runs did not bring the service back on a good version`);
    }
  }
  if (concurrent.succeeded !== concurrent.services) {
    broken.push(`concurrent: ${concurrent.services - concurrent.succeeded} of ${concurrent.services} executions did not succeed`);
  }
  for (const [service, n] of concurrent.updateServiceNotOnce) broken.push(`concurrent: ${service} got ${n} accepted UpdateService calls, expected 1`);
  for (const [service, n] of concurrent.notificationNotOnce) broken.push(`concurrent: ${service} got ${n} success notifications, expected 1`);
  for (const service of concurrent.notRolledBack) broken.push(`concurrent: ${service} is not back on its known-good revision`);
  for (const run of concurrent.notSucceeded ?? []) {
    broken.push(`concurrent: ${run.service} ended ${run.status}${run.error === undefined ? '' : ` (${run.error})`} after ${run.lastStates.join(' → ')}`);
  }
  return broken;
}

const q = (value: Quantiles, format: (v: number) => string = (v) => v.toFixed(1)): string =>
  `${format(value.p50)} / ${format(value.p90)}${value.p95 === undefined ? '' : ` / ${format(value.p95)}`}`;

/** Each target against this run's figures. */
export function targetVerdicts(report: BenchReport): TargetVerdict[] {
  const verdicts: TargetVerdict[] = [];
  for (const scenario of BENCH_SCENARIOS) {
    const ours = report.comparison.scenarios[scenario].ours;
    if (ours === undefined) continue;
    verdicts.push({
      target: `${scenario}: ours / floor p50 ≤ ${TARGETS.oursOverFloorP50}, p90 ≤ ${TARGETS.oursOverFloorP90} (random check phases)`,
      measured: `p50 ${times(ours.overFloor.p50, 3)}, p90 ${times(ours.overFloor.p90, 3)}`,
      met: ours.overFloor.p50 <= TARGETS.oursOverFloorP50 && ours.overFloor.p90 <= TARGETS.oursOverFloorP90,
    });
    verdicts.push({
      target: `${scenario}: ≤ ${TARGETS.transitions} state transitions per rollback`,
      measured: `at most ${ours.transitionsMax} (p50 ${ours.transitionsP50})`,
      met: ours.transitionsMax <= TARGETS.transitions,
    });
  }
  const alarmPath = report.comparison.scenarios['alarm-after-deploy'].sides;
  if (alarmPath.ours?.detectionSeconds !== undefined && alarmPath.oursTaskDetector?.detectionSeconds !== undefined) {
    const detector = alarmPath.oursTaskDetector.detectionSeconds.p50;
    const alarm = alarmPath.ours.detectionSeconds.p50;
    verdicts.push({
      target: `alarm-after-deploy: the task-stop detector's detection p50 ≤ ${TARGETS.detectorOverAlarmDetection} × the alarm path's (first failed health check → rollback call)`,
      measured: `${detector.toFixed(1)} s vs ${alarm.toFixed(1)} s (${times(detector / alarm, 2)})`,
      met: detector <= TARGETS.detectorOverAlarmDetection * alarm,
    });
  }
  verdicts.push({ target: `≥ ${TARGETS.runs} seeded runs per side and scenario`, measured: String(report.comparison.runs), met: report.comparison.runs >= TARGETS.runs });
  verdicts.push(...bundleVerdicts(report.coldStart));
  const c = report.concurrent;
  verdicts.push({
    target: `${c.executions} concurrent rollbacks against ECS's request throttling: every one succeeded, none duplicated`,
    measured: `${c.succeeded}/${c.executions} succeeded, ${c.duplicated} duplicated, ${c.notRolledBack.length} not back on :14; last service recovered ${seconds(c.lastRecoveredModelMs)} after the triggers`,
    met: c.succeeded === c.executions && c.duplicated === 0 && c.notRolledBack.length === 0,
  });
  const fifty = report.synth.find((row) => row.services === 50);
  if (fifty !== undefined) verdicts.push({ target: '50 services synth ≤ 30 s', measured: seconds(fifty.synthMs), met: fifty.synthMs <= TARGETS.synth50Ms });
  return verdicts;
}

/** The bundle targets (size, load against the naive bundle), judged on every measured function. */
export function bundleVerdicts(coldStart: readonly ColdStartRow[]): TargetVerdict[] {
  const biggest = [...coldStart].sort((a, b) => b.bytes - a.bytes);
  const over = biggest.filter((row) => row.bytes > TARGETS.bundleBytes);
  const slow = coldStart.filter((row) => row.loadWithSourceMapsMs > TARGETS.loadOverNaive * row.naiveLoadMs);
  const worst = [...coldStart].sort((a, b) => b.loadWithSourceMapsMs / b.naiveLoadMs - a.loadWithSourceMapsMs / a.naiveLoadMs)[0];
  return [
    {
      target: 'every bundle ≤ 350 KiB minified',
      measured: over.length === 0 ? `largest ${biggest[0]?.id} ${kib(biggest[0]?.bytes ?? 0)}` : over.map((row) => `${row.id} ${kib(row.bytes)}`).join(', '),
      met: over.length === 0,
    },
    {
      target: 'every load ≤ 0.8 × the naive bundle (as deployed, --enable-source-maps)',
      measured:
        slow.length === 0
          ? `worst ${worst?.id} ${times((worst?.loadWithSourceMapsMs ?? 0) / (worst?.naiveLoadMs ?? 1))}`
          : slow.map((row) => `${row.id} ${times(row.loadWithSourceMapsMs / row.naiveLoadMs)}`).join(', '),
      met: slow.length === 0,
    },
  ];
}

/** The JSON's `bundles`: each measured function's size and load. */
export function bundlesJson(coldStart: readonly ColdStartRow[]): BenchJson['bundles'] {
  return Object.fromEntries(
    coldStart.map((row) => [row.id, { minifiedBytes: row.bytes, gzipBytes: row.gzipBytes, loadMs: row.loadWithSourceMapsMs, loadVsNaive: row.loadWithSourceMapsMs / row.naiveLoadMs }]),
  );
}

/** The JSON other tools read (`npm run -s bench -- --json`). */
export interface BenchJson {
  readonly commit: string;
  readonly date: string;
  readonly runs: number;
  readonly scenarios: Record<string, Record<string, SideSummary>>;
  readonly notApplicable: Record<string, Record<string, string>>;
  readonly oursOverFloor: Record<string, Quantiles>;
  readonly floorSeconds: Record<string, Quantiles>;
  readonly transitions: Record<string, number>;
  readonly sensitivity: Comparison['sensitivity'];
  readonly timings: Record<string, TimingFact>;
  readonly bundles: Record<string, { minifiedBytes: number; gzipBytes: number; loadMs: number; loadVsNaive: number }>;
  readonly synth: Record<string, { seconds: number; templateBytes: number; resources: number; rules?: number; managedPolicies?: number }>;
  readonly concurrent: { executions: number; succeeded: number; duplicated: number; lost: number; [key: string]: unknown };
  readonly targets: TargetVerdict[];
  readonly broken: readonly string[];
}

/** The report as JSON: scenario → side → measure → quantiles, and the rest. */
export function toJson(report: BenchReport): BenchJson {
  const scenarios: Record<string, Record<string, SideSummary>> = {};
  const oursOverFloor: Record<string, Quantiles> = {};
  const floorSeconds: Record<string, Quantiles> = {};
  const transitions: Record<string, number> = {};
  for (const scenario of BENCH_SCENARIOS) {
    const summary = report.comparison.scenarios[scenario];
    scenarios[scenario] = Object.fromEntries(SIDES.flatMap((side) => (summary.sides[side] === undefined ? [] : [[side, summary.sides[side]!]])));
    if (summary.ours !== undefined) {
      oursOverFloor[scenario] = summary.ours.overFloor;
      floorSeconds[scenario] = summary.ours.floorSeconds;
      transitions[scenario] = summary.ours.transitionsMax;
    }
  }
  const c = report.concurrent;
  return {
    commit: report.context.commit,
    date: report.context.date,
    runs: report.comparison.runs,
    scenarios,
    notApplicable: Object.fromEntries(Object.entries(NOT_APPLICABLE).map(([k, v]) => [k, v as Record<string, string>])),
    oursOverFloor,
    floorSeconds,
    transitions,
    sensitivity: report.comparison.sensitivity,
    timings: { ...AWS_TIMINGS },
    bundles: bundlesJson(report.coldStart),
    synth: Object.fromEntries(
      report.synth.map((row) => [
        String(row.services),
        {
          seconds: row.synthMs / 1000,
          templateBytes: row.templateBytes,
          resources: row.resources,
          ...(row.rules === undefined ? {} : { rules: row.rules }),
          ...(row.managedPolicies === undefined ? {} : { managedPolicies: row.managedPolicies }),
        },
      ]),
    ),
    concurrent: {
      ...c,
      executions: c.services,
      succeeded: c.succeeded,
      duplicated: c.updateServiceNotOnce.filter(([, n]) => n > 1).length + c.notificationNotOnce.filter(([, n]) => n > 1).length,
      lost: c.updateServiceNotOnce.filter(([, n]) => n === 0).length + c.notificationNotOnce.filter(([, n]) => n === 0).length,
      lastRecoveredSeconds: c.lastRecoveredModelMs / 1000,
      throttles: c.throttled,
      retries: { sdk: c.sdkRetries, stateMachine: c.retriedStates },
      peakLambdaConcurrency: c.peakLambdaConcurrency,
      peakStartExecutionsPerSecond: c.peakStartExecutionsPerSecond,
      quotas: ACCOUNT_QUOTAS,
    },
    targets: targetVerdicts(report),
    broken: report.broken,
  };
}

const MEASURES = [
  ['badServiceWindowSeconds', 'bad-service window (s)'],
  ['recoveredSeconds', 'recovered from first failure (s)'],
  ['tasksStarted', 'tasks started'],
  ['tasksStopped', 'tasks stopped'],
  ['capacityLostTaskSeconds', 'capacity lost (task-s)'],
] as const;

function scenarioRows(summary: ScenarioSummary): string[][] {
  return SIDES.flatMap((side) => {
    const row = summary.sides[side];
    if (row === undefined) return [];
    return [[SIDE_LABELS[side], `${row.recoveredRuns}/${row.runs}`, ...MEASURES.map(([key]) => q(row[key], (v) => (key.startsWith('tasks') ? String(v) : v.toFixed(1))))]];
  });
}

const SCENARIO_HEADER = ['side', 'recovered runs', ...MEASURES.map(([, label]) => `${label} p50 / p90 / p95`)];

function oursRows(report: BenchReport): string[][] {
  return BENCH_SCENARIOS.flatMap((scenario) => {
    const ours = report.comparison.scenarios[scenario].ours;
    if (ours === undefined) return [];
    return [
      [
        scenario,
        q(ours.triggerToRecoveredSeconds),
        q(ours.floorSeconds),
        q(ours.overFloor, (v) => v.toFixed(3)),
        `${ours.transitionsP50} (max ${ours.transitionsMax})`,
        `$${transitionCostUsd(ours.transitionsP50).toFixed(6)}`,
        String(ours.callsP50),
        millis(ours.realMsP50, 0),
      ],
    ];
  });
}

/** Our two detection paths side by side: detection, ECS's rollback, what detection costs, churn. */
function detectionRows(report: BenchReport): string[][] {
  return BENCH_SCENARIOS.flatMap((scenario) =>
    (['ours', 'oursTaskDetector'] as const).flatMap((side) => {
      const row = report.comparison.scenarios[scenario].sides[side];
      if (row?.detectionSeconds === undefined || row.ecsRollbackSeconds === undefined) return [];
      const n = (value: Quantiles | undefined) => (value === undefined ? '—' : q(value, (v) => String(v)));
      return [
        [
          scenario,
          side === 'ours' ? 'alarm / deployment failure (ours)' : 'task-stop detector (oursTaskDetector)',
          q(row.detectionSeconds),
          q(row.ecsRollbackSeconds),
          q(row.badServiceWindowSeconds),
          n(row.taskEvents),
          n(row.detectorInvocations),
          n(row.executions),
          `${row.nativeRollbackRuns ?? 0} / ${row.runs}`,
          q(row.tasksStarted, (v) => String(v)),
        ],
      ];
    }),
  );
}

const DETECTION_HEADER = [
  'scenario',
  'path',
  'detection: first failure → rollback call (s) p50 / p90 / p95',
  'ECS rollback: call → targets healthy (s)',
  'bad-service window (s)',
  'task state changes per deployment',
  'detector invocations per deployment',
  'executions',
  'StopServiceDeployment runs',
  'churn: tasks started',
];

const OURS_HEADER = [
  'scenario',
  'trigger → recovered declared (s) p50 / p90 / p95',
  'floor: UpdateService → targets healthy (s)',
  'ours / floor',
  'state transitions p50',
  'Step Functions cost',
  'AWS calls p50',
  'execution, real time p50',
];

/** A Mermaid gantt (GitHub renders it) of the median moments of each side. */
export function gantt(scenario: BenchScenario, summary: ScenarioSummary, runs: number): string {
  const lines = ['```mermaid', 'gantt', `  title ${scenario}: medians of ${runs} runs, seconds after riderapp:15 was deployed`, '  dateFormat X', '  axisFormat %M:%S'];
  for (const side of SIDES) {
    const t = summary.sides[side]?.timeline;
    if (t?.firstFailure === undefined || t.healthy === undefined) continue;
    lines.push(`  section ${side}`);
    const bars: [string, number | undefined, number | undefined][] = [
      ['failure to detection', t.firstFailure, t.detection],
      ['detection to ECS start', t.detection, t.ecsStart],
      ['ECS start to healthy', t.ecsStart ?? t.detection, t.healthy],
      ['old tasks draining', t.healthy, t.drained],
    ];
    for (const [label, from, to] of bars) {
      if (from === undefined || to === undefined || to - from < 0.5) continue;
      lines.push(`  ${label} : ${Math.round(from)}, ${Math.round(to)}`);
    }
  }
  lines.push('```');
  return lines.join('\n');
}

function timingRows(): string[][] {
  return (Object.values(AWS_TIMINGS) as TimingFact[]).map((fact) => [
    fact.label,
    formatFigure(fact.value, fact.unit),
    fact.estimate === undefined ? 'AWS' : `**estimate**: ${fact.estimate.why}`,
    fact.source,
  ]);
}

function sensitivityRows(report: BenchReport): string[][] {
  return report.comparison.sensitivity.map((row) => [
    row.label,
    row.value,
    row.scenario,
    String(row.runs),
    Object.entries(row.recoveredP50)
      .map(([side, v]) => `${side} ${v === null || v === undefined ? 'never recovered' : v.toFixed(1)}`)
      .join(', '),
    Object.entries(row.detectionP50 ?? {})
      .map(([side, v]) => `${side} ${v === null || v === undefined ? 'never rolled back' : v.toFixed(1)}`)
      .join(', '),
    row.oursOverFloor === undefined ? '' : `${row.oursOverFloor.p50.toFixed(3)} / ${row.oursOverFloor.p90.toFixed(3)}`,
  ]);
}

const SENSITIVITY_HEADER = ['estimate', 'tried', 'scenario', 'runs', 'recovered from first failure, p50 (s)', 'detection: first failure → rollback call, p50 (s)', 'ours / floor p50 / p90'];

const p50 = (summary: ScenarioSummary, side: Side) => summary.sides[side]?.recoveredSeconds.p50;

/** Where we win, tie, and where ECS's own features are enough, from this run's medians. */
export function plainVerdicts(comparison: Comparison): string[] {
  const lines: string[] = [];
  const failed = comparison.scenarios['deployment-failed'];
  const alarm = comparison.scenarios['alarm-after-deploy'];
  /** "ties with X (+1.2 s, within 5 %)", "is 3.0 s faster than X (1.10×)", "is 3.0 s slower than X (1.10×)" */
  const describe = (a: number, b: number, other: string) => {
    const diff = a - b;
    if (Math.abs(diff) <= 0.05 * b) return `ties with ${other} (${diff >= 0 ? '+' : ''}${diff.toFixed(1)} s, within 5 %)`;
    return diff < 0 ? `is ${(-diff).toFixed(1)} s faster than ${other} (${times(b / a)})` : `is ${diff.toFixed(1)} s slower than ${other} (${times(a / b)})`;
  };
  const oursF = p50(failed, 'ours');
  const cbF = p50(failed, 'ecsCircuitBreaker');
  const seedF = p50(failed, 'seed');
  if (oursF !== undefined && cbF !== undefined) {
    lines.push(
      `**deployment-failed — ECS's own feature is enough.** Ours ${describe(oursF, cbF, "ECS's circuit breaker with `rollback: true`")} (p50 ${oursF.toFixed(1)} s vs ${cbF.toFixed(1)} s from the first failed task): ECS starts its rollback in the same instant it fails the deployment, while ours waits for EventBridge and a chain of Lambdas. Users see no bad service either way (minimum healthy 100 %: the old tasks keep serving; bad-service window p50 ${failed.sides.ours?.badServiceWindowSeconds.p50.toFixed(1)} s). Turning on \`rollback: true\` costs nothing; ours adds the notification, the lock and the audit trail, not speed.`,
    );
  }
  if (oursF !== undefined && seedF !== undefined) lines.push(`**deployment-failed — we win against the seed:** ${seedF.toFixed(1)} s vs ${oursF.toFixed(1)} s (${times(seedF / oursF)}), nearly all of it the person noticing and starting the pipeline.`);
  const oursA = p50(alarm, 'ours');
  const daA = p50(alarm, 'ecsDeploymentAlarms');
  const seedA = p50(alarm, 'seed');
  const da = alarm.sides.ecsDeploymentAlarms;
  if (oursA !== undefined && daA !== undefined && da !== undefined) {
    const missed = da.runs - da.recoveredRuns;
    lines.push(
      `**alarm-after-deploy — a tie with ECS deployment alarms while the alarm fires within their bake time:** ours ${describe(oursA, daA, 'ECS deployment alarms')} (p50 ${oursA.toFixed(1)} s vs ${daA.toFixed(1)} s from the first failed health check, over the runs each recovered). Both wait for the same CloudWatch alarm (two consecutive one-minute datapoints that saw an unhealthy target, published late); as ECS stops each unhealthy task ${AWS_TIMINGS.unhealthyTaskStopSeconds.value} s later, that can take several rounds of replacements, and that wait, not the rollback, dominates. Once the bake time is over ECS no longer watches the alarm and only ours acts (within ALARM_ROLLBACK_WINDOW_MINUTES, 60 by default)${missed > 0 ? `: in ${missed} of ${da.runs} runs ECS deployment alarms never rolled back (the alarm went into ALARM after the bake time, or was OK again when ECS looked)` : ''}; see the bake-time sensitivity rows.`,
    );
  }
  const detA = alarm.sides.oursTaskDetector?.detectionSeconds?.p50;
  const alarmDetA = alarm.sides.ours?.detectionSeconds?.p50;
  if (detA !== undefined && alarmDetA !== undefined) {
    lines.push(
      `**alarm-after-deploy — the task-stop detector wins on detection:** it acts on the bad version's 2nd stopped task, ${detA.toFixed(1)} s p50 after the first failed health check, against the alarm path's ${alarmDetA.toFixed(1)} s (${times(alarmDetA / detA)}); both in the same world, where ECS stops unhealthy tasks after ${AWS_TIMINGS.unhealthyTaskStopSeconds.value} s (an estimate: section 4 shows both at other values, and that without those stops the detector sees nothing).`,
    );
  }
  if (oursA !== undefined) {
    lines.push(
      `**alarm-after-deploy — ECS's circuit breaker never acts:** the new tasks start and pass their health checks, and fail only after the deployment completed, when the breaker no longer watches; ECS replaces each failing task with another of the same revision, so the service would stay broken until someone notices. Here ours (${oursA.toFixed(1)} s p50) wins outright${seedA === undefined ? '' : `, and against the seed's person (${seedA.toFixed(1)} s, ${times(seedA / oursA)})`}.`,
    );
  }
  return lines;
}

function coldRows(coldStart: readonly ColdStartRow[]): string[][] {
  return coldStart.map((row) => [
    row.id,
    kib(row.bytes),
    kib(row.gzipBytes),
    kib(row.naiveBytes),
    millis(row.loadMs),
    millis(row.loadWithSourceMapsMs),
    millis(row.naiveLoadMs),
    times(row.loadWithSourceMapsMs / row.naiveLoadMs),
    row.composition.map(([part, bytes]) => `${part} ${kib(bytes, 0)}`).join(', '),
  ]);
}

const COLD_HEADER = [
  'function',
  'minified',
  'gzip',
  'naive (SDK external)',
  'load',
  'load, --enable-source-maps (as deployed)',
  'naive load',
  'deployed / naive',
  'largest parts',
];

function synthRows(report: BenchReport): string[][] {
  return report.synth.map((row) => [
    String(row.services),
    seconds(row.synthMs),
    seconds(row.startupMs),
    kib(row.templateBytes),
    String(row.resources),
    row.rules === undefined ? '' : String(row.rules),
    row.managedPolicies === undefined ? '' : String(row.managedPolicies),
  ]);
}

const SYNTH_HEADER = ['services', 'synth (loadConfig + stack + app.synth)', 'process start-up before it', 'template', 'resources', 'EventBridge rules', 'IAM managed policies'];

function concurrentRows(report: BenchReport): string[][] {
  const c = report.concurrent;
  return [
    ['executions', `${c.services} at once, one per service`],
    ['succeeded', `${c.succeeded} (${c.statuses.map(([s, n]) => `${s} ${n}`).join(', ')})`],
    ['duplicated (a service with > 1 accepted UpdateService or success notification)', String(c.duplicated)],
    ['services with ≠ 1 accepted UpdateService', String(c.updateServiceNotOnce.length)],
    ['services with ≠ 1 success notification', String(c.notificationNotOnce.length)],
    ['services not back on :14', String(c.notRolledBack.length)],
    ['last service recovered (modelled, after the triggers)', seconds(c.lastRecoveredModelMs)],
    [c.injected > 0 ? 'throttling answers (injected)' : 'throttling answers', c.injected > 0 ? `${c.throttled} (${c.injected})` : String(c.throttled)],
    ['SDK retries (backoff in modelled time)', String(c.sdkRetries)],
    ['ASL retries taken', String(c.retriedStates)],
    ['AWS calls', String(c.calls)],
    [
      'Lambda concurrency needed (peak invocations in flight)',
      `${c.peakLambdaConcurrency} (account default ${ACCOUNT_QUOTAS.lambdaConcurrency.value.toLocaleString('en-US')} per Region: ${ACCOUNT_QUOTAS.lambdaConcurrency.source})`,
    ],
    [
      'StartExecution rate needed (peak per second)',
      `${c.peakStartExecutionsPerSecond} (Standard: bucket ${ACCOUNT_QUOTAS.startExecution.bucket.toLocaleString('en-US')}, ${ACCOUNT_QUOTAS.startExecution.refillPerSecond}/s in us-east-1, us-west-2, eu-west-1; 800, 150/s elsewhere: ${ACCOUNT_QUOTAS.startExecution.source})`,
    ],
    ['peak calls / s (real)', String(c.peakCallsPerRealSecond)],
    ['peak calls / s (modelled)', String(c.peakCallsPerModelledSecond)],
    ['state transitions (+ retries, billed too)', `${c.transitions} + ${c.retriedStates}`],
    ['wall time (real)', seconds(c.realMs)],
    ['modelled time, triggers → last execution ended', seconds(c.modelMs)],
  ];
}

/** Calls and throttles per ECS action of the concurrent run, with the bucket each draws from. */
function throttleRows(report: BenchReport): string {
  const byAction = report.concurrent.throttledByAction;
  if (byAction === undefined) return '';
  const rows = Object.entries(byAction)
    .sort((a, b) => b[1].calls - a[1].calls)
    .map(([action, n]) => {
      const limit = ECS_REQUEST_LIMITS.find((l) => l.actions.includes(action)) ?? UNLISTED_ACTION_LIMIT;
      return [action, `${limit.group}: ${limit.capacity}, ${limit.refillPerSecond}/s${limit.estimate === undefined ? '' : ` (${limit.estimate})`}`, String(n.calls), String(n.throttled)];
    });
  return `\n${markdownTable(['ECS action', 'bucket (burst, refill)', 'calls', 'throttled'], rows)}\n`;
}

function targetRows(report: BenchReport): string[][] {
  return targetVerdicts(report).map((v) => [v.target, v.measured, verdict(v.met)]);
}

/** The cold start table alone (`npm run bench -- --only bundles`), with the bundle targets' verdicts. */
export function renderBundlesText(coldStart: readonly ColdStartRow[]): string {
  return [
    'Cold start (bundles as the CDK app builds them)',
    textTable(COLD_HEADER, coldRows(coldStart)),
    '',
    ...bundleVerdicts(coldStart).map((v) => `${v.met ? 'met' : 'MISSED'}: ${v.target}: ${v.measured}`),
  ].join('\n');
}

/** The terminal output. */
export function renderText(report: BenchReport): string {
  const c = report.context;
  return [
    `ecs-auto-rollback benchmarks — ${c.date}, commit ${c.commit}, ${c.cpuModel} (${c.cores} cores), Node ${c.node}`,
    '',
    'Targets',
    textTable(['target', 'measured', 'verdict'], targetRows(report)),
    '',
    ...BENCH_SCENARIOS.flatMap((scenario) => [`${scenario} (modelled, ${report.comparison.runs} seeded runs)`, textTable(SCENARIO_HEADER, scenarioRows(report.comparison.scenarios[scenario])), '']),
    'Ours against the floor',
    textTable(OURS_HEADER, oursRows(report)),
    '',
    "Detection from the version's own tasks",
    textTable(DETECTION_HEADER, detectionRows(report)),
    '',
    'Sensitivity of the estimates',
    textTable(SENSITIVITY_HEADER, sensitivityRows(report)),
    '',
    'Cold start (bundles as the CDK app builds them)',
    textTable(COLD_HEADER, coldRows(report.coldStart)),
    '',
    'Synth',
    textTable(SYNTH_HEADER, synthRows(report)),
    '',
    `${report.concurrent.services} concurrent rollbacks, ${report.throttles.length > 0 ? 'throttling injected' : "against ECS's request throttling"}`,
    textTable(['', ''], concurrentRows(report)),
    '',
    report.broken.length === 0 ? 'Every run completed: nothing lost, nothing duplicated.' : `BROKEN RUNS:\n${report.broken.map((b) => `  - ${b}`).join('\n')}`,
  ].join('\n');
}

/** BENCHMARKS.md */
export function renderMarkdown(report: BenchReport): string {
  const c = report.context;
  const price = `$0.025 per 1,000 state transitions (Step Functions Standard Workflows, US East (N. Virginia) list price, last confirmed ${STATE_TRANSITION_PRICE_DATE}; retries are billed too; the first 4,000 a month are free)`;
  const throttles = report.throttles.map((t) => `${t.service}${t.operation === undefined ? '' : ` ${t.operation}`}: the first ${t.times} calls`).join('; ');
  const [loadStart, loadEnd] = report.loadAverage;
  const loaded = Math.max(loadStart, loadEnd) > c.cores;
  return `# Benchmarks

Written by \`npm run bench\` (bench/run.ts); every figure below comes from that one run (\`npm run -s bench -- --json\`
prints the same figures as JSON). Benchmarks are not tests: \`npm test\` never fails on a speed figure, and the bench
exits non-zero only when a run breaks (a rollback not completed, lost or duplicated).

| | |
|---|---|
| date | ${c.date} |
| commit | \`${c.commit}\`${c.uncommitted > 0 ? ` (${c.uncommitted} files with uncommitted changes in the working tree)` : ''} |
| machine | ${c.cpuModel}, ${c.cores} cores, ${c.memoryGiB.toFixed(1)} GiB memory, ${c.platform} |
| load average (1 min) at start / end | ${loadStart.toFixed(1)} / ${loadEnd.toFixed(1)} |
| Node | ${c.node} |
| bench wall time | ${seconds(report.durationMs, 0)} |

${loaded ? `**This machine was loaded by other processes during the run** (load average above its ${c.cores} cores): real-time figures (execution wall time, cold start loads, synth, the concurrent run's wall time) are slower than on an idle machine. Modelled figures (everything measured on the stand-in's clock: the scenario tables, ours / floor, the gantt charts, the sensitivity rows) do not depend on the load.\n` : ''}
**Reproduce:** \`npm ci && npm run bench\` (no AWS account, no network: everything runs against the local
stand-in on 127.0.0.1). It rewrites this file.

## Where we win, where we tie, where ECS's own features are enough

${plainVerdicts(report.comparison).map((line) => `- ${line}`).join('\n')}

## Targets

${markdownTable(['target', 'measured', 'verdict'], targetRows(report))}

${report.broken.length === 0 ? 'Every run completed: nothing lost, nothing duplicated.' : `**Broken runs:**\n${report.broken.map((b) => `- ${b}`).join('\n')}`}

## 1. What users feel, every side on the same stand-in

${report.comparison.runs} seeded runs per side and scenario. Each seed fixes the stand-in's draws (each task's Fargate
start, each target's health check phase, each alarm datapoint's delay), so every side of one seed meets the same
tasks at the same moments until their paths part. Modelled time on the stand-in's clock, AWS's defaults from the
table in section 3. The same finish line for every side, measured from the stand-in's transition history
(bench/measures.ts):

- **bad-service window**: from the first failing request of the bad version (or the first capacity lost) to the good
  version serving at full desired capacity (0: users saw nothing);
- **recovered**: from the first observable failure (deployment-failed: the first task that failed to start;
  alarm-after-deploy: the first failed health check) to the service back on a good version with its targets healthy;
- **churn**: tasks started and stopped from the bad deployment on; **capacity lost**: task-seconds below desired.

Sides: ${SIDES.map((side) => `**${side}**: ${SIDE_LABELS[side]}`).join('; ')}. Ours runs the real ASL
(aws-local-stepfunctions) with the Lambda bundles the CDK app builds, started by the stand-in's event after the
EventBridge delay, each invocation cold (runtime init + this run's measured bundle load) or warm, each AWS call
its latency. The seed's side runs its pipeline (ECR's second-newest image into a copy of the task definition,
UpdateService) after the reaction of its own example: failures reported 15 min after they start, the rollback
started 2 min later.

${BENCH_SCENARIOS.map((scenario) => {
  const summary = report.comparison.scenarios[scenario];
  const left = Object.entries(NOT_APPLICABLE[scenario]).map(([side, why]) => `- **${side}** is left out: ${why}.`);
  return `### ${scenario}

${markdownTable(SCENARIO_HEADER, scenarioRows(summary))}

${left.join('\n')}

${gantt(scenario, summary, report.comparison.runs)}
`;
}).join('\n')}
## 2. Ours against the floor

The floor is ECS's own time from the rollback's UpdateService to its new targets healthy, measured in our run (the
same seed, the same phases). ours / floor = (our recovery declared − the trigger event's time) / floor. CheckStability
waits until the health window opens (the last task's start + interval × (threshold − 1)), looks every few seconds
inside it, and backs off after it (lambdas/core/stability.ts). Cost: ${price}.

${markdownTable(OURS_HEADER, oursRows(report))}

### Detection from the version's own tasks

Our two paths to the same rollback, per scenario: **detection** from the first observable failure (the first task
that failed to start, the first failed health check) to the rollback call, then **ECS's rollback** from that call to
the rollback's targets healthy. The alarm path waits for the UnHealthyHostCount alarm (one-minute datapoints, 2 of 2)
or ECS's deployment failure (the circuit breaker's 3rd failed task); the task-stop detector counts the bad version's
stopped tasks and acts on the 2nd (K = 2). Detection cost: the service's ECS Task State Change events per deployment,
and how many of them the detector's rule (desiredStatus STOPPED, the watched services) delivers, one Lambda
invocation each, each after the EventBridge delay, a cold (runtime init + its measured bundle load) or warm start, and
the latency of its five calls up to StartExecution. Both paths run in the same world as every other side: ECS stops a task whose target turned unhealthy
${AWS_TIMINGS.unhealthyTaskStopSeconds.value} s later and starts another of the same revision (an estimate: AWS documents that the service scheduler
replaces such tasks, not after how long; section 4 tries ${AWS_TIMINGS.unhealthyTaskStopSeconds.estimate.sensitivity.map((v) => formatFigure(v, 's')).join(', ')}). Those stops are what the detector counts;
they also cut each unhealthy target short, so the alarm needs two consecutive minutes that each saw one. A deployment still in flight is rolled back with
StopServiceDeployment (ROLLBACK; local/stand-in/model/deployments.ts holds the assumptions on what ECS keeps running),
hence the churn column.

${markdownTable(DETECTION_HEADER, detectionRows(report))}

## 3. Every modelled figure and its source

From local/stand-in/aws-timings.ts (the one table the stand-in and the harness read). Estimates are labelled; each
has sensitivity rows below. Scenario values: riderapp:15 regresses 300 s after turning healthy (alarm-after-deploy; each
replacement ECS starts for a stopped riderapp:15 task regresses the same way, so the bad version's replacements are churn
and may serve for a while before they fail in turn);
the UnHealthyHostCount alarm takes 2 of 2 one-minute datapoints ≥ 1; 3 tasks, minimum healthy 100 %, maximum 200 %.

${markdownTable(['figure', 'value', 'kind', 'source'], timingRows())}

## 4. Sensitivity of the estimates

Each estimate at the values it would take if it were wrong; the runs use the same seeds (fewer for rows that run ours).
The rows of ECS's stop of unhealthy tasks set the value for every side of alarm-after-deploy at once; "never" is a world
where targets stay unhealthy: the alarm sees every minute of them, and the task-stop detector has nothing to count.

${markdownTable(SENSITIVITY_HEADER, sensitivityRows(report))}

## 5. Cold start

Each function's bundle (the eight Tasks' and the task-stop detector's, DetectTaskStops) as the CDK app builds it (\`cdk synth\`'s asset: esbuild with lib/constructs/functions.ts
BUNDLING: minified ESM, SDK bundled, environment-only credentials), beside the same handler bundled naively
(unminified, \`@aws-sdk/*\` and \`@smithy/*\` external, no source map). Load time: median of ${report.coldStart[0]?.samples ?? 0} fresh \`node\`
processes per bundle and variant, measured inside the child around \`await import(bundle)\` as the CPU time the process spent
on it (\`process.cpuUsage()\`, user + system): a load is single-threaded work, and its CPU time, unlike the elapsed time, does
not grow when other processes share the cores (this machine is shared). The deployed functions run
with NODE_OPTIONS=--enable-source-maps; that column is the one judged, and the one section 1 adds to each cold start.
Node here is ${c.node}; Lambda runs nodejs24.x on arm64, so absolute times differ there.

${markdownTable(COLD_HEADER, coldRows(report.coldStart))}

## 6. Scale

Synth of project riderapp with ${report.synth.map((row) => row.services).join(', ')} services, each in a fresh process
(loadConfig + addRollbackStack + app.synth(), cdk-nag and the esbuild bundling included).

${markdownTable(SYNTH_HEADER, synthRows(report))}

${report.concurrent.services} services in one stand-in, each deployment failing; ${report.concurrent.services} executions at once.
${
  report.throttles.length > 0
    ? `Throttling injected (${throttles}), on top of which the SDK retries and the ASL Retry act.`
    : `The stand-in's ECS throttles as AWS documents it: one token bucket per action category, refilled on the modelled clock
(local/stand-in/throttling.ts, from ${ECS_THROTTLING_SOURCE}). The SDK's retries and the state machine's Retry back off in
modelled time, so the buckets refill while they wait.`
}

${markdownTable(['', ''], concurrentRows(report))}
${throttleRows(report)}`;
}
