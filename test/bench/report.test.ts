import { describe, expect, it } from 'vitest';
import type { ColdStartRow } from '../../bench/cold-start';
import { type Comparison, type SideSummary, summariseOurs, summariseSide } from '../../bench/compare';
import type { ConcurrentFigures } from '../../bench/concurrent';
import type { RunMeasures } from '../../bench/measures';
import { type BenchReport, brokenRuns, gantt, plainVerdicts, renderBundlesText, renderMarkdown, toJson } from '../../bench/report';
import type { SideRun } from '../../bench/sides';

const CLEAN_CONCURRENT: ConcurrentFigures = {
  services: 50,
  succeeded: 50,
  statuses: [['SUCCEEDED', 50]],
  updateServiceNotOnce: [],
  notificationNotOnce: [],
  notRolledBack: [],
  throttled: 200,
  injected: 200,
  retriedStates: 50,
  sdkRetries: 120,
  calls: 3800,
  peakCallsPerRealSecond: 1300,
  peakCallsPerModelledSecond: 700,
  realMs: 17_000,
  modelMs: 125_000,
  transitions: 3150,
  executions: 50,
  duplicated: 0,
  lastRecoveredModelMs: 125_000,
  peakLambdaConcurrency: 50,
  peakStartExecutionsPerSecond: 50,
};

/** A side whose runs all recovered `recovered` seconds after the first failure. */
function side(recovered: number, runs = 30, recoveredRuns = runs): SideSummary {
  const q = (v: number) => ({ p50: v, p90: v, p95: v });
  return {
    runs,
    recoveredRuns,
    badServiceWindowSeconds: q(0),
    recoveredSeconds: q(recovered),
    tasksStarted: q(6),
    tasksStopped: q(6),
    capacityLostTaskSeconds: q(0),
    timeline: { firstFailure: 40, detection: 42, ecsStart: 43, healthy: 40 + recovered, drained: 340 + recovered },
  };
}

const OURS = {
  overFloor: { p50: 1.02, p90: 1.05, p95: 1.05 },
  triggerToRecoveredSeconds: { p50: 204, p90: 215, p95: 220 },
  floorSeconds: { p50: 200, p90: 210, p95: 215 },
  transitionsMax: 52,
  transitionsP50: 48,
  callsP50: 45,
  realMsP50: 800,
  failedRuns: 0,
};

function comparison(overrides: { oursRecoveredRuns?: number; failedRuns?: number } = {}): Comparison {
  return {
    runs: 30,
    scenarios: {
      'deployment-failed': {
        sides: { ours: side(210, 30, overrides.oursRecoveredRuns ?? 30), ecsCircuitBreaker: side(190), seed: side(1200), floor: side(198) },
        ours: { ...OURS, failedRuns: overrides.failedRuns ?? 0 },
      },
      'alarm-after-deploy': {
        sides: { ours: side(420), ecsDeploymentAlarms: side(425), seed: side(1210), floor: side(415) },
        ours: OURS,
      },
    },
    sensitivity: [
      { estimate: 'fargateStartSeconds', label: 'Fargate task start', value: '15–30 s', scenario: 'deployment-failed', runs: 8, recoveredP50: { ours: 180, floor: 176 }, oursOverFloor: OURS.overFloor },
      { estimate: 'ecsBakeTimeSeconds', label: 'ECS bake time', value: '120 s', scenario: 'alarm-after-deploy', runs: 30, recoveredP50: { ecsDeploymentAlarms: null } },
      {
        estimate: 'unhealthyTaskStopSeconds',
        label: 'ECS stops an unhealthy task after',
        value: 'never',
        scenario: 'alarm-after-deploy',
        runs: 8,
        recoveredP50: { ours: 420, oursTaskDetector: null },
        detectionP50: { ours: 217.4, oursTaskDetector: null },
      },
    ],
  };
}

const COLD: ColdStartRow[] = [
  { id: 'Prepare', bytes: 300_000, gzipBytes: 90_000, naiveBytes: 900_000, loadMs: 40, loadWithSourceMapsMs: 55, naiveLoadMs: 190, samples: 11, composition: [['zod', 100_000]] } as unknown as ColdStartRow,
];

function report(c: Comparison = comparison()): BenchReport {
  return {
    context: { cpuModel: 'AMD EPYC', cores: 2, memoryGiB: 23.5, node: 'v20.20.2', platform: 'linux x64', date: '2026-12-01T20:00:00.000Z', commit: 'abcdef123456', uncommitted: 0 },
    durationMs: 600_000,
    comparison: c,
    coldStart: COLD,
    synth: [{ services: 50, synthMs: 7000, startupMs: 900, templateBytes: 260_000, resources: 100 }],
    concurrent: CLEAN_CONCURRENT,
    throttles: [],
    loadAverage: [6.5, 7.1],
    broken: [],
  };
}

describe('the JSON other tools read', () => {
  it('has the keys the issue names: commit, runs, scenario → side → measure {p50, p90}, oursOverFloor, transitions, bundles, synth, concurrent', () => {
    // Act
    const json = JSON.parse(JSON.stringify(toJson(report())));

    // Assess
    expect(json.commit).toBe('abcdef123456');
    expect(json.runs).toBe(30);
    for (const measure of ['badServiceWindowSeconds', 'recoveredSeconds', 'tasksStarted', 'capacityLostTaskSeconds']) {
      expect(json.scenarios['deployment-failed'].ours[measure]).toEqual({ p50: expect.any(Number), p90: expect.any(Number), p95: expect.any(Number) });
    }
    expect(Object.keys(json.scenarios['deployment-failed'])).toEqual(['ours', 'ecsCircuitBreaker', 'seed', 'floor']);
    expect(Object.keys(json.scenarios['alarm-after-deploy'])).toEqual(['ours', 'ecsDeploymentAlarms', 'seed', 'floor']);
    expect(json.oursOverFloor['deployment-failed']).toEqual({ p50: 1.02, p90: 1.05, p95: 1.05 });
    expect(json.transitions).toEqual({ 'deployment-failed': 52, 'alarm-after-deploy': 52 });
    expect(json.bundles.Prepare).toMatchObject({ minifiedBytes: 300_000, loadVsNaive: 55 / 190 });
    expect(json.synth['50']).toEqual({ seconds: 7, templateBytes: 260_000, resources: 100 });
    expect(json.concurrent).toMatchObject({
      executions: 50,
      succeeded: 50,
      duplicated: 0,
      lost: 0,
      lastRecoveredSeconds: 125,
      calls: 3800,
      throttles: 200,
      retries: { sdk: 120, stateMachine: 50 },
      peakLambdaConcurrency: 50,
      peakStartExecutionsPerSecond: 50,
    });
  });

  it('reports the concurrent run against the throttling, per ECS action with its bucket, and its verdict', () => {
    // Prepare
    const concurrent = { ...CLEAN_CONCURRENT, throttledByAction: { DescribeServices: { calls: 900, throttled: 300 } } };

    // Act
    const markdown = renderMarkdown({ ...report(), concurrent, throttles: [] });
    const json = toJson({ ...report(), concurrent: { ...CLEAN_CONCURRENT, succeeded: 49, statuses: [['SUCCEEDED', 49], ['FAILED', 1]] } });

    // Assess
    expect(markdown).toContain("ECS throttles as AWS documents it");
    expect(markdown).toContain('| DescribeServices | Service read actions: 100, 20/s | 900 | 300 |');
    expect(markdown).toContain('| last service recovered (modelled, after the triggers) | 125.0 s |');
    expect(json.targets.find((t) => t.target.includes('concurrent rollbacks'))?.met).toBe(false);
  });

  it("judges the task-stop detector's bundle by the same 350 KiB target and lists it under bundles", () => {
    // Prepare: the detector's bundle over the target, every Task's under it
    const detector = { ...COLD[0], id: 'DetectTaskStops', bytes: 360_000 } as ColdStartRow;

    // Act
    const json = toJson({ ...report(), coldStart: [...COLD, detector] });

    // Assess
    const bundles = json.targets.find((t) => t.target === 'every bundle ≤ 350 KiB minified');
    expect(bundles).toMatchObject({ met: false, measured: 'DetectTaskStops 351.6 KiB' });
    expect(json.bundles.DetectTaskStops).toMatchObject({ minifiedBytes: 360_000 });
  });

  it('prints the bundles alone (npm run bench -- --only bundles) with the same verdicts', () => {
    // Prepare
    const detector = { ...COLD[0], id: 'DetectTaskStops', bytes: 360_000 } as ColdStartRow;

    // Act
    const text = renderBundlesText([...COLD, detector]);

    // Assess
    expect(text).toMatch(/^DetectTaskStops +351\.6 KiB/m);
    expect(text).toContain('MISSED: every bundle ≤ 350 KiB minified: DetectTaskStops 351.6 KiB');
    expect(text).toContain('met: every load ≤ 0.8 × the naive bundle');
  });

  it('names each side left out of a scenario and why', () => {
    // Act
    const json = toJson(report());

    // Assess
    expect(json.notApplicable['deployment-failed']?.ecsDeploymentAlarms).toContain('no UnHealthyHostCount alarm fires');
    expect(json.notApplicable['alarm-after-deploy']?.ecsCircuitBreaker).toContain('never acts');
  });

  it('counts a duplicated and a lost rollback of the concurrent run', () => {
    // Act
    const json = toJson({ ...report(), concurrent: { ...CLEAN_CONCURRENT, updateServiceNotOnce: [['svc-07', 2], ['svc-12', 0]] } });

    // Assess
    expect(json.concurrent).toMatchObject({ duplicated: 1, lost: 1 });
  });
});

describe('what breaks a bench run (its exit code)', () => {
  it('breaks nothing when every run recovered and all 50 rollbacks ran exactly once, however slow', () => {
    // Act
    const broken = brokenRuns(comparison(), CLEAN_CONCURRENT);

    // Assess
    expect(broken).toEqual([]);
  });

  it.each([
    { case: 'a duplicated rollback', concurrent: { updateServiceNotOnce: [['riderapp-svc-07', 2]] as [string, number][] }, expected: 'riderapp-svc-07 got 2 accepted UpdateService calls' },
    { case: 'an execution that failed', concurrent: { succeeded: 49 }, expected: '1 of 50 executions did not succeed' },
    {
      case: 'an execution that failed, saying how it ended',
      concurrent: { succeeded: 49, notSucceeded: [{ service: 'riderapp-svc-40', status: 'FAILED', error: 'RollbackFailed: x', lastStates: ['NotifyFailure', 'ReleaseLock', 'RollbackFailed'] }] },
      expected: 'riderapp-svc-40 ended FAILED (RollbackFailed: x) after NotifyFailure → ReleaseLock → RollbackFailed',
    },
  ])('breaks on $case', ({ concurrent, expected }) => {
    // Act
    const broken = brokenRuns(comparison(), { ...CLEAN_CONCURRENT, ...concurrent });

    // Assess
    expect(broken.join('\n')).toContain(expected);
  });

  it('breaks when some of our runs did not bring the service back, or an execution failed', () => {
    // Act
    const broken = brokenRuns(comparison({ oursRecoveredRuns: 28, failedRuns: 1 }), CLEAN_CONCURRENT);

    // Assess
    expect(broken).toEqual([
      'deployment-failed (ours): 2 of 30 runs did not bring the service back on a good version',
      'deployment-failed (ours): 1 executions did not succeed or never declared recovery',
    ]);
  });
});

describe('BENCHMARKS.md', () => {
  it('draws one Mermaid gantt per scenario with a section per side and bars from the first failure to drained', () => {
    // Act
    const chart = gantt('deployment-failed', comparison().scenarios['deployment-failed'], 30);

    // Assess
    expect(chart.split('\n').slice(0, 5)).toEqual([
      '```mermaid',
      'gantt',
      '  title deployment-failed: medians of 30 runs, seconds after riderapp:15 was deployed',
      '  dateFormat X',
      '  axisFormat %M:%S',
    ]);
    expect(chart).toContain('  section ours\n  failure to detection : 40, 42\n  detection to ECS start : 42, 43\n  ECS start to healthy : 43, 250\n  old tasks draining : 250, 550');
    expect(chart).toContain('  section ecsCircuitBreaker');
    expect(chart).not.toContain('section ecsDeploymentAlarms');
  });

  it('says plainly where ECS is enough, where we tie and where we win', () => {
    // Act
    const lines = plainVerdicts(comparison());

    // Assess
    expect(lines[0]).toContain("deployment-failed — ECS's own feature is enough.** Ours is 20.0 s slower than ECS's circuit breaker");
    expect(lines[1]).toContain('we win against the seed:** 1200.0 s vs 210.0 s (5.71×)');
    expect(lines[2]).toContain('a tie with ECS deployment alarms');
    expect(lines[2]).toContain('ours ties with ECS deployment alarms (-5.0 s, within 5 %)');
    expect(lines[3]).toContain("ECS's circuit breaker never acts");
  });

  it("compares the task-stop detector's detection with the alarm path's, both in the world where ECS stops unhealthy tasks, and says when ECS deployment alarms missed runs", () => {
    // Prepare
    const c = comparison();
    const detection = (p50: number) => ({ detectionSeconds: { p50, p90: p50 }, ecsRollbackSeconds: { p50: 200, p90: 200 } });
    const alarm = c.scenarios['alarm-after-deploy'];
    const withDetector: Comparison = {
      ...c,
      scenarios: {
        ...c.scenarios,
        'alarm-after-deploy': {
          ...alarm,
          sides: { ...alarm.sides, ours: { ...side(420), ...detection(234.8) }, oursTaskDetector: { ...side(260), ...detection(54.2) }, ecsDeploymentAlarms: side(425, 30, 27) },
        },
      },
    };

    // Act
    const lines = plainVerdicts(withDetector);

    // Assess
    expect(lines[2]).toContain('in 3 of 30 runs ECS deployment alarms never rolled back');
    expect(lines[3]).toContain('the task-stop detector wins on detection:** it acts on the bad version');
    expect(lines[3]).toContain("54.2 s p50 after the first failed health check, against the alarm path's 234.8 s (4.33×)");
    expect(lines[3]).toContain('where ECS stops unhealthy tasks after 15 s (an estimate');
    expect(lines[4]).toContain("ECS's circuit breaker never acts");
  });

  it('says the machine was loaded when the load average exceeded its cores, and lists every estimate with a sensitivity row', () => {
    // Act
    const markdown = renderMarkdown(report());

    // Assess
    expect(markdown).toContain('This machine was loaded by other processes during the run');
    expect(markdown).toContain('| Fargate task start | 15–30 s | deployment-failed | 8 | ours 180.0, floor 176.0 |  | 1.020 / 1.050 |');
    expect(markdown).toContain('| ECS bake time | 120 s | alarm-after-deploy | 30 | ecsDeploymentAlarms never recovered |  |  |');
    expect(markdown).toContain(
      '| ECS stops an unhealthy task after | never | alarm-after-deploy | 8 | ours 420.0, oursTaskDetector never recovered | ours 217.4, oursTaskDetector never rolled back |  |',
    );
    expect(markdown).toContain('**estimate**');
    expect(markdown).toContain('https://docs.aws.amazon.com/');
    expect(markdown.match(/```mermaid/g)).toHaveLength(2);
  });
});

describe('aggregating runs', () => {
  const measures = (recoveredS: number): RunMeasures => ({
    badServiceWindowMs: 0,
    recoveredMs: recoveredS * 1000,
    tasksStarted: 6,
    tasksStopped: 6,
    capacityLostTaskSeconds: 0,
    moments: { deployed: 1_000_000, firstFailure: 1_040_000, healthy: 1_040_000 + recoveredS * 1000, drained: 1_340_000 + recoveredS * 1000 },
  });

  it('summarises only the runs that recovered and keeps the count of the others', () => {
    // Prepare
    const runs: SideRun[] = [...Array.from({ length: 29 }, (_, i) => ({ side: 'seed' as const, measures: measures(100 + i) })), { side: 'seed' }];

    // Act
    const summary = summariseSide(runs);

    // Assess
    expect(summary).toMatchObject({ runs: 30, recoveredRuns: 29, recoveredSeconds: { p50: 114, p90: 126, p95: 127 } });
    expect(summary?.timeline.firstFailure).toBe(40);
  });

  it('counts our runs that failed and takes the most transitions any run needed', () => {
    // Prepare
    const detail = (transitions: number, status: string) => ({ triggerToRecoveredMs: 210_000, floorMs: 200_000, overFloor: 1.05, transitions, calls: 40, status, realMs: 700 });
    const runs: SideRun[] = [
      { side: 'ours', ours: detail(48, 'SUCCEEDED') },
      { side: 'ours', ours: detail(57, 'SUCCEEDED') },
      { side: 'ours', ours: detail(51, 'FAILED') },
    ];

    // Act
    const summary = summariseOurs(runs);

    // Assess
    expect(summary).toMatchObject({ transitionsMax: 57, transitionsP50: 51, failedRuns: 1, overFloor: { p50: 1.05, p90: 1.05 } });
  });
});

describe("the task-stop detector's side", () => {
  const detection = (detectionS: number, method: 'UpdateService' | 'StopServiceDeployment') => ({
    detectionMs: detectionS * 1000,
    ecsRollbackMs: 200_000,
    method,
    taskEvents: 14,
    detectorInvocations: 14,
    executions: 1,
  });

  it('puts detectionSeconds (first failure → rollback call) beside the other measures, with the cost and the native rollbacks', () => {
    // Prepare
    const measured: RunMeasures = {
      badServiceWindowMs: 240_000,
      recoveredMs: 250_000,
      tasksStarted: 8,
      tasksStopped: 8,
      capacityLostTaskSeconds: 0,
      moments: { deployed: 0, firstFailure: 300_000, healthy: 550_000 },
    };
    const runs: SideRun[] = [
      { side: 'oursTaskDetector', measures: measured, detection: detection(48, 'UpdateService') },
      { side: 'oursTaskDetector', measures: measured, detection: detection(52, 'StopServiceDeployment') },
    ];

    // Act
    const summary = summariseSide(runs);

    // Assess
    expect(summary).toMatchObject({
      detectionSeconds: { p50: 48, p90: 52 },
      ecsRollbackSeconds: { p50: 200 },
      detectorInvocations: { p50: 14 },
      executions: { p50: 1 },
      nativeRollbackRuns: 1,
    });
  });

  it("judges the target (detection p50 ≤ 0.5 × the alarm path's) and shows both paths in BENCHMARKS.md and the JSON", () => {
    // Prepare
    const c = comparison();
    const alarm = c.scenarios['alarm-after-deploy'];
    const withDetection = (s: SideSummary, seconds: number): SideSummary => ({ ...s, detectionSeconds: { p50: seconds, p90: seconds }, ecsRollbackSeconds: { p50: 200, p90: 210 } });
    const sides = { ...alarm.sides, ours: withDetection(side(420), 215), oursTaskDetector: withDetection(side(250), 50) };
    const r = report({ ...c, scenarios: { ...c.scenarios, 'alarm-after-deploy': { ...alarm, sides } } });

    // Act
    const json = toJson(r);
    const markdown = renderMarkdown(r);

    // Assess
    expect(json.targets).toContainEqual(expect.objectContaining({ target: expect.stringContaining("task-stop detector's detection p50 ≤ 0.5"), met: true }));
    expect(json.scenarios['alarm-after-deploy']?.oursTaskDetector?.detectionSeconds).toEqual({ p50: 50, p90: 50 });
    expect(json.scenarios['alarm-after-deploy']?.ours?.detectionSeconds).toEqual({ p50: 215, p90: 215 });
    expect(markdown).toContain("### Detection from the version's own tasks");
    expect(markdown).toMatch(/\| alarm-after-deploy \| task-stop detector \(oursTaskDetector\) \| 50\.0 \/ 50\.0 \| 200\.0 \/ 210\.0 \|/);
  });
});
