/** The bench's verdicts and its two renderings: the terminal tables and BENCHMARKS.md. */
import type { ColdStartRow } from './cold-start';
import type { ConcurrentFigures } from './concurrent';
import type { RunContext } from './machine';
import type { RecoveryFigures } from './recovery';
import {
  countBy,
  kib,
  markdownTable,
  millis,
  STATE_TRANSITION_PRICE_DATE,
  seconds,
  textTable,
  times,
  transitionCostUsd,
  verdict,
} from './stats';

/** One synth size. */
export interface SynthRow {
  readonly services: number;
  readonly synthMs: number;
  readonly startupMs: number;
  readonly templateBytes: number;
  readonly resources: number;
}

/** Everything one run measured. */
export interface BenchReport {
  readonly context: RunContext;
  readonly durationMs: number;
  readonly recovery: readonly RecoveryFigures[];
  readonly coldStart: readonly ColdStartRow[];
  readonly synth: readonly SynthRow[];
  readonly concurrent: ConcurrentFigures;
  readonly throttles: readonly { readonly service: string; readonly operation?: string; readonly times: number }[];
  readonly broken: readonly string[];
}

/** The targets of issue 6. */
export const TARGETS = {
  oursOverFloor: 1.05,
  baselineOverOurs: 2.5,
  bundleBytes: 350 * 1024,
  loadOverNaive: 0.8,
  transitions: 60,
  synth50Ms: 30_000,
} as const;

/** One target's line: what it asks, what was measured, met or not. */
export interface TargetVerdict {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

/** Problems that make this run broken (the exit code), one line each. */
export function brokenRuns(recovery: readonly RecoveryFigures[], concurrent: ConcurrentFigures): string[] {
  const broken: string[] = [];
  for (const r of recovery) {
    for (const unmet of r.ours.unmet) broken.push(`${r.scenario} (ours): ${unmet}`);
    if (r.ours.recoveredMs === undefined) broken.push(`${r.scenario} (ours): recovery was never declared`);
    if (!r.baseline.recovered) broken.push(`${r.scenario} (seed baseline): ${r.baseline.error ?? 'did not recover'}`);
  }
  if (concurrent.succeeded !== concurrent.services) {
    broken.push(`concurrent: ${concurrent.services - concurrent.succeeded} of ${concurrent.services} executions did not succeed`);
  }
  for (const [service, n] of concurrent.updateServiceNotOnce) broken.push(`concurrent: ${service} got ${n} accepted UpdateService calls, expected 1`);
  for (const [service, n] of concurrent.notificationNotOnce) broken.push(`concurrent: ${service} got ${n} success notifications, expected 1`);
  for (const service of concurrent.notRolledBack) broken.push(`concurrent: ${service} is not back on its known-good revision`);
  return broken;
}

/** Each target against this run's figures. */
export function targetVerdicts(report: BenchReport): TargetVerdict[] {
  const verdicts: TargetVerdict[] = [];
  for (const r of report.recovery) {
    const ours = r.ours.recoveredMs;
    const floor = r.floorMs ?? r.floorFromTimingsMs;
    if (ours !== undefined) {
      verdicts.push({
        target: `${r.scenario}: recovered ≤ ${TARGETS.oursOverFloor} × floor`,
        measured: `${seconds(ours)} vs floor ${seconds(floor)} (${times(ours / floor, 3)})`,
        met: ours <= TARGETS.oursOverFloor * floor,
      });
      const base = r.baseline.recoveredMs;
      if (base !== undefined) {
        verdicts.push({
          target: `${r.scenario}: ≥ ${TARGETS.baselineOverOurs}× faster than the seed baseline`,
          measured: `${seconds(base)} / ${seconds(ours)} = ${times(base / ours)}`,
          met: base / ours >= TARGETS.baselineOverOurs,
        });
      }
    }
  }
  const biggest = [...report.coldStart].sort((a, b) => b.bytes - a.bytes);
  const over = biggest.filter((row) => row.bytes > TARGETS.bundleBytes);
  verdicts.push({
    target: 'every bundle ≤ 350 KiB minified',
    measured: over.length === 0 ? `largest ${biggest[0]?.id} ${kib(biggest[0]?.bytes ?? 0)}` : over.map((row) => `${row.id} ${kib(row.bytes)}`).join(', '),
    met: over.length === 0,
  });
  const slow = report.coldStart.filter((row) => row.loadWithSourceMapsMs > TARGETS.loadOverNaive * row.naiveLoadMs);
  const worst = [...report.coldStart].sort((a, b) => b.loadWithSourceMapsMs / b.naiveLoadMs - a.loadWithSourceMapsMs / a.naiveLoadMs)[0];
  verdicts.push({
    target: 'every load ≤ 0.8 × the naive bundle (as deployed, --enable-source-maps)',
    measured:
      slow.length === 0
        ? `worst ${worst?.id} ${times((worst?.loadWithSourceMapsMs ?? 0) / (worst?.naiveLoadMs ?? 1))}`
        : slow.map((row) => `${row.id} ${times(row.loadWithSourceMapsMs / row.naiveLoadMs)}`).join(', '),
    met: slow.length === 0,
  });
  const first = report.recovery[0];
  if (first !== undefined) {
    verdicts.push({
      target: `≤ ${TARGETS.transitions} state transitions for a 3-minute rollback`,
      measured: `${first.ours.transitions} for a ${seconds(first.ours.executionMs)} rollback (${first.scenario})`,
      met: first.ours.transitions <= TARGETS.transitions,
    });
  }
  const fifty = report.synth.find((row) => row.services === 50);
  if (fifty !== undefined) {
    verdicts.push({ target: '50 services synth ≤ 30 s', measured: seconds(fifty.synthMs), met: fifty.synthMs <= TARGETS.synth50Ms });
  }
  return verdicts;
}

/** Why each missed target was missed, from this run's figures. */
export function missExplanations(report: BenchReport): string[] {
  const lines: string[] = [];
  for (const r of report.recovery) {
    const ours = r.ours.recoveredMs;
    const base = r.baseline.recoveredMs;
    const floor = r.floorMs ?? r.floorFromTimingsMs;
    if (ours !== undefined && ours > TARGETS.oursOverFloor * floor) {
      lines.push(
        `${r.scenario}: recovery declared ${seconds(ours - floor)} after the floor: ${seconds(r.ours.updateServiceMs ?? 0)} before UpdateService, then ${seconds(r.ours.healthyToRecoveredMs ?? 0)} between the last target turning healthy and the poll that saw it.`,
      );
    }
    if (ours !== undefined && base !== undefined && base / ours < TARGETS.baselineOverOurs) {
      lines.push(
        `${r.scenario}: the seed baseline was stable after ${seconds(r.baseline.stableMs ?? base)}, not start + health + drain: the tasks it replaced were unhealthy, so ECS stopped them at once and their deregistration delay ran alongside the new tasks' start. Our recovery (${seconds(ours)}) is bounded by the floor (${seconds(floor)}), so the most any orchestration can reach here is baseline / floor = ${times(base / floor)}, with zero overhead.`,
      );
    }
  }
  for (const row of report.coldStart.filter((c) => c.bytes > TARGETS.bundleBytes)) {
    lines.push(
      `${row.id} is ${kib(row.bytes)}: ${row.composition.map(([part, bytes]) => `${part} ${kib(bytes, 0)}`).join(', ')}. zod's locales come in whole because @aws-lambda-powertools/parser's schemas import the \`z\` namespace object, which esbuild cannot tree-shake; the esbuild CLI that CDK runs takes no plugins, and an alias only swaps whole packages.`,
    );
  }
  const first = report.recovery[0];
  if (first !== undefined && first.ours.transitions > TARGETS.transitions) {
    const polls = first.ours.statesEntered.filter((s) => s === 'CheckStability').length;
    lines.push(
      `${first.ours.transitions} transitions: ${polls} CheckStability polls at 3 transitions each (CheckStability → StabilityDecision → WaitForStability) make ${polls * 3} of them; once the tasks run it polls every 5 s until the targets are healthy (60 s at these timings), which is what keeps recovery within ${seconds(first.ours.healthyToRecoveredMs ?? 0)} of the floor.`,
    );
  }
  return lines;
}

const opt = (ms: number | undefined, format: (v: number) => string = (v) => seconds(v)): string => (ms === undefined ? 'n/a' : format(ms));

function recoveryRows(report: BenchReport): string[][] {
  return report.recovery.map((r) => {
    const ours = r.ours.recoveredMs;
    const floor = r.floorMs ?? r.floorFromTimingsMs;
    const base = r.baseline.recoveredMs;
    return [
      r.scenario,
      opt(ours),
      opt(r.ours.notifiedMs),
      `${opt(r.floorMs)} (timings ${seconds(r.floorFromTimingsMs)})`,
      opt(base),
      ours === undefined ? 'n/a' : seconds(ours - floor),
      ours === undefined ? 'n/a' : times(ours / floor, 3),
      ours === undefined || base === undefined ? 'n/a' : times(ours / base),
      ours === undefined || base === undefined ? 'n/a' : times(base / ours),
    ];
  });
}

const RECOVERY_HEADER = ['scenario', 'ours: recovered', 'ours: notified', 'floor: new targets healthy', 'seed baseline', 'ours − floor', 'ours / floor', 'ours / baseline', 'baseline / ours'];

function overheadRows(report: BenchReport): string[][] {
  return report.recovery.map((r) => [
    r.scenario,
    opt(r.ours.updateServiceRealMs, (v) => millis(v, 0)),
    opt(r.ours.updateServiceMs),
    opt(r.ours.healthyToRecoveredMs),
    opt(r.ours.healthyToRecoveredRealMs, (v) => millis(v, 0)),
    String(r.ours.calls.length),
    String(r.ours.transitions),
    `$${transitionCostUsd(r.ours.transitions).toFixed(6)}`,
    millis(r.ours.realMs, 0),
  ]);
}

const OVERHEAD_HEADER = [
  'scenario',
  'trigger → UpdateService (real)',
  '(modelled)',
  'new targets healthy → recovered (modelled)',
  '(real)',
  'AWS calls',
  'state transitions',
  'Step Functions cost',
  'execution (real)',
];

function callRows(report: BenchReport): string[][] {
  const rows: string[][] = [];
  for (const r of report.recovery) {
    const label = (c: { service: string; operation: string; errorCode?: string }) => `${c.service} ${c.operation}${c.errorCode === undefined ? '' : ` (${c.errorCode})`}`;
    rows.push([`${r.scenario} (ours)`, countBy(r.ours.calls, label).map(([k, n]) => `${k} ×${n}`).join(', ')]);
    rows.push([`${r.scenario} (seed baseline)`, countBy(r.baseline.calls, label).map(([k, n]) => `${k} ×${n}`).join(', ')]);
  }
  return rows;
}

function coldRows(report: BenchReport): string[][] {
  return report.coldStart.map((row) => [
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
  return report.synth.map((row) => [String(row.services), seconds(row.synthMs), seconds(row.startupMs), kib(row.templateBytes), String(row.resources)]);
}

const SYNTH_HEADER = ['services', 'synth (loadConfig + stack + app.synth)', 'process start-up before it', 'template', 'resources'];

function concurrentRows(report: BenchReport): string[][] {
  const c = report.concurrent;
  return [
    ['executions', `${c.services} at once, one per service`],
    ['succeeded', `${c.succeeded} (${c.statuses.map(([s, n]) => `${s} ${n}`).join(', ')})`],
    ['services with ≠ 1 accepted UpdateService', String(c.updateServiceNotOnce.length)],
    ['services with ≠ 1 success notification', String(c.notificationNotOnce.length)],
    ['services not back on :14', String(c.notRolledBack.length)],
    ['throttling answers (injected)', `${c.throttled} (${c.injected})`],
    ['ASL retries taken', String(c.retriedStates)],
    ['AWS calls', String(c.calls)],
    ['peak calls / s (real)', String(c.peakCallsPerRealSecond)],
    ['peak calls / s (modelled)', String(c.peakCallsPerModelledSecond)],
    ['state transitions (+ retries, billed too)', `${c.transitions} + ${c.retriedStates}`],
    ['wall time (real)', seconds(c.realMs)],
    ['modelled time, triggers → last execution ended', seconds(c.modelMs)],
  ];
}

function targetRows(report: BenchReport): string[][] {
  return targetVerdicts(report).map((v) => [v.target, v.measured, verdict(v.met)]);
}

/** The terminal output. */
export function renderText(report: BenchReport): string {
  const c = report.context;
  return [
    `ecs-auto-rollback benchmarks — ${c.date}, commit ${c.commit}, ${c.cpuModel} (${c.cores} cores), Node ${c.node}`,
    '',
    'Targets',
    textTable(['target', 'measured', 'verdict'], targetRows(report)),
    ...missExplanations(report).map((line) => `  * ${line}`),
    '',
    '1. Time to recovered (modelled, from the trigger)',
    textTable(RECOVERY_HEADER, recoveryRows(report)),
    '',
    '2. Orchestration overhead',
    textTable(OVERHEAD_HEADER, overheadRows(report)),
    '',
    '3. Cold start (bundles as the CDK app builds them)',
    textTable(COLD_HEADER, coldRows(report)),
    '',
    '4a. Synth',
    textTable(SYNTH_HEADER, synthRows(report)),
    '',
    '4b. 50 concurrent rollbacks, throttling injected',
    textTable(['', ''], concurrentRows(report)),
    '',
    report.broken.length === 0 ? 'Every run completed: nothing lost, nothing duplicated.' : `BROKEN RUNS:\n${report.broken.map((b) => `  - ${b}`).join('\n')}`,
  ].join('\n');
}

/** BENCHMARKS.md */
export function renderMarkdown(report: BenchReport): string {
  const c = report.context;
  const price = `$0.025 per 1,000 state transitions (Step Functions Standard Workflows, US East (N. Virginia) list price, last confirmed ${STATE_TRANSITION_PRICE_DATE}, not re-read from the live pricing page by this run; retries are billed as transitions too; the first 4,000 transitions a month are free)`;
  const throttles = report.throttles.map((t) => `${t.service}${t.operation === undefined ? '' : ` ${t.operation}`}: the first ${t.times} calls`).join('; ');
  const baselineSteps = report.recovery[0]?.baseline.steps.map((s) => `${seconds(s.atMs)} ${s.step}: ${s.detail}`) ?? [];
  return `# Benchmarks

Written by \`npm run bench\` (bench/run.ts); every figure below comes from that one run. Benchmarks are
not tests: \`npm test\` never fails on a speed figure, and the bench exits non-zero only when a run breaks
(a rollback not completed, lost or duplicated).

| | |
|---|---|
| date | ${c.date} |
| commit | \`${c.commit}\`${c.uncommitted > 0 ? ` (${c.uncommitted} files with uncommitted changes in the working tree)` : ''} |
| machine | ${c.cpuModel}, ${c.cores} cores, ${c.memoryGiB.toFixed(1)} GiB memory, ${c.platform} |
| Node | ${c.node} |
| bench wall time | ${seconds(report.durationMs, 0)} |

**Reproduce:** \`npm ci && npm run bench\` (no AWS account, no network: everything runs against the local
stand-in on 127.0.0.1). It rewrites this file.

## Targets

${markdownTable(['target', 'measured', 'verdict'], targetRows(report))}

${report.broken.length === 0 ? 'Every run completed: nothing lost, nothing duplicated.' : `**Broken runs:**\n${report.broken.map((b) => `- ${b}`).join('\n')}`}
${missExplanations(report).length === 0 ? '' : `\nWhy the missed targets were missed:\n\n${missExplanations(report).map((line) => `- ${line}`).join('\n')}\n`}
## 1. Time to recovered

Modelled time on the local stand-in's clock (AWS-like timings: Fargate task start 60 s, target health check
30 s × 2 to healthy, deregistration delay 300 s), from the trigger (the EventBridge event's time) to:

- **ours: recovered** — CheckStability returns RECOVERED (the rollback's tasks running and healthy in the
  target group, old ones draining) or COMPLETED; **ours: notified** — the success notification (SNS Publish).
  The real ASL runs (aws-local-stepfunctions) with the Lambda bundles the CDK app builds; each Lambda
  invocation is modelled as 200 ms (local/harness), Wait states as their modelled seconds.
- **floor** — when the rollback's new targets turned healthy, measured in our run, minus the modelled time
  our orchestration spent before UpdateService: what ECS itself takes had the rollback deployment started at
  the trigger. "timings" is the same from the stand-in's settings (Fargate start + interval × threshold).
- **seed baseline** — the seed's pipeline step by step with real SDK calls against a stand-in in the same
  state (bench/baseline.ts): ECR describe-images sorted by imagePushedAt, [-2].imageTags[0];
  describe-services; describe-task-definition; register a copy with containerDefinitions[0].image swapped;
  update-service; the \`services-stable\` waiter (DescribeServices every 15 s until one deployment and
  runningCount == desiredCount, i.e. after the old tasks drained); then a target health check every 30 s.
  **Assumption:** it starts at the trigger (a person or pipeline reacting instantly) and its API calls take
  no modelled time; both favour the baseline.

${markdownTable(RECOVERY_HEADER, recoveryRows(report))}

The seed baseline on ${report.recovery[0]?.scenario ?? 'the first scenario'}:

${baselineSteps.map((s) => `- ${s}`).join('\n')}

## 2. Orchestration overhead

Real time is this machine's wall clock; modelled time is the stand-in's clock. "New targets healthy →
recovered" is how long after the last new target turned healthy our polling declared recovery (real: from
the first AWS call after that instant to CheckStability returning). Cost: ${price}.

${markdownTable(OVERHEAD_HEADER, overheadRows(report))}

AWS API calls per rollback, by operation (the stand-in's call log):

${markdownTable(['run', 'calls'], callRows(report))}

States entered (${report.recovery[0]?.scenario}): ${report.recovery[0]?.ours.statesEntered.join(' → ') ?? 'n/a'}

## 3. Cold start

Each function's bundle as the CDK app builds it (\`cdk synth\`'s asset: esbuild with lib/constructs/functions.ts
BUNDLING: minified ESM, SDK bundled, environment-only credentials), beside the same handler bundled naively
(unminified, \`@aws-sdk/*\` external so node loads the SDK from node_modules, no source map), built in the same
run. Load time: median of ${report.coldStart[0]?.samples ?? 0} fresh \`node\` processes per bundle and variant,
measured inside the child with performance.now() around \`await import(bundle)\`, with the function's
environment from the template. The deployed functions run with NODE_OPTIONS=--enable-source-maps; that column
is the one judged. Node here is ${c.node}; Lambda runs nodejs24.x on arm64, so absolute times differ there.

${markdownTable(COLD_HEADER, coldRows(report))}

## 4. Scale

Synth of project riderapp with 1, 10 and 50 services (bench/synth-context.ts), each in a fresh process:
loadConfig + addRollbackStack + app.synth(), cdk-nag and the esbuild bundling of the eight functions included
(bundling is per function, not per service).

${markdownTable(SYNTH_HEADER, synthRows(report))}

${report.concurrent.services} services in one stand-in (riderapp-svc-01 … on :14, 2 tasks each), each deployment of :15 failing;
the ${report.concurrent.services} SERVICE_DEPLOYMENT_FAILED events start ${report.concurrent.services} executions at once. Throttling injected (${throttles}),
on top of which the SDK retries and the ASL Retry act. Modelled time is shared: it moves only when every
running execution waits. "None lost, none duplicated" means every execution succeeded, every service got
exactly one accepted UpdateService and exactly one success notification, and every service runs :14 again.

${markdownTable(['', ''], concurrentRows(report))}
`;
}
