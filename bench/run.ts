/**
 * `npm run bench`: every figure of BENCHMARKS.md from one run on this machine. Prints the tables
 * (or, with `--json`, the figures as JSON) and writes BENCHMARKS.md. Exits non-zero only when a run
 * breaks (a rollback not completed, lost or duplicated), never on a speed figure.
 * `--runs N` sets the seeded runs per side (default 30), `--sensitivity-runs N` the seeds of the
 * sensitivity rows that run ours (default 8), `--synth-sizes 1,50,200` the synth sizes,
 * `--load-samples N` the fresh processes per bundle of the cold start (default 11).
 * `--only bundles` measures the bundles alone (one synth of one service, then the cold start of
 * every function, the detector's too) in a few minutes: prints them and the bundle targets' verdicts
 * (`--json`: commit, bundles, targets) and leaves BENCHMARKS.md as it is.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Bundles } from '../local/harness/bundles';
import { PROJECT_ROOT } from '../local/harness/bundles';
import type { LambdaFunctionId } from '../local/harness/run';
import type { TaskFunctionId } from '../statemachine/definition';
import { type ColdStartRow, measureColdStart } from './cold-start';
import { measureConcurrentRollbacks } from './concurrent';
import { compareSides } from './compare';
import { type RunContext, runContext } from './machine';
import { type BenchReport, brokenRuns, bundlesJson, bundleVerdicts, renderBundlesText, renderMarkdown, renderText, type SynthRow, toJson } from './report';
import type { SynthChildResult } from './synth-child';

const run = promisify(execFile);
const SYNTH_SIZES = [1, 50, 200];
const LOAD_SAMPLES = 11;
/** Rollbacks at once against the stand-in's ECS with AWS's request throttling (issue 10: 200 services in one project). */
const CONCURRENT_ROLLBACKS = 200;
const SENSITIVITY_RUNS = 8;

/** The real epoch in ms (Date is the modelled clock while a world lives). */
function realEpochMs(): number {
  return performance.timeOrigin + performance.now();
}

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function progress(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

async function synthOnce(services: number, outdir: string): Promise<SynthChildResult> {
  const started = performance.now();
  const { stdout } = await run(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'bench', 'synth-child.ts'), String(services), outdir], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    maxBuffer: 64 * 1024 * 1024,
    timeout: 1_800_000,
  });
  const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as SynthChildResult;
  progress(`synth ${services} service(s): ${(result.synthMs / 1000).toFixed(1)} s (process ${((performance.now() - started) / 1000).toFixed(1)} s)`);
  return result;
}

async function main(): Promise<number> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const startedReal = realEpochMs();
  const json = process.argv.includes('--json');
  const runs = Number.parseInt(argValue('--runs') ?? '30', 10);
  if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`--runs: expected a positive integer, got ${argValue('--runs')}`);
  const loadAtStart = loadavg()[0] ?? 0;
  const sensitivityRuns = Number.parseInt(argValue('--sensitivity-runs') ?? String(SENSITIVITY_RUNS), 10);
  const loadSamples = Number.parseInt(argValue('--load-samples') ?? String(LOAD_SAMPLES), 10);
  const synthSizes = (argValue('--synth-sizes') ?? SYNTH_SIZES.join(',')).split(',').map((n) => Number.parseInt(n, 10));
  if (!synthSizes.every((n) => Number.isInteger(n) && n > 0)) throw new RangeError(`--synth-sizes: expected positive integers, got ${argValue('--synth-sizes')}`);
  const only = argValue('--only');
  if (only !== undefined && only !== 'bundles') throw new RangeError(`--only: expected bundles, got ${only}`);
  const context: RunContext = runContext(startedReal);
  progress(`${context.cpuModel}, ${context.cores} cores, Node ${context.node}, commit ${context.commit}`);
  const workDir = mkdtempSync(join(tmpdir(), 'ecs-rollback-bench-'));
  try {
    if (only === 'bundles') {
      const { assets, environments } = await synthOnce(1, join(workDir, 'synth-1'));
      progress(`cold start: ${loadSamples} fresh node processes per bundle and variant`);
      const coldStart = await measureColdStart(assets, environments, loadSamples);
      const figures = { commit: context.commit, bundles: bundlesJson(coldStart), targets: bundleVerdicts(coldStart) };
      process.stdout.write(`${json ? JSON.stringify(figures, null, 2) : renderBundlesText(coldStart)}\n`);
      return 0;
    }
    const synth: SynthRow[] = [];
    let firstSynth: SynthChildResult | undefined;
    for (const services of synthSizes) {
      const result = await synthOnce(services, join(workDir, `synth-${services}`));
      firstSynth ??= result;
      synth.push({
        services,
        synthMs: result.synthMs,
        startupMs: result.startupMs,
        templateBytes: result.templateBytes,
        resources: result.resources,
        rules: result.rules,
        managedPolicies: result.managedPolicies,
      });
    }
    if (firstSynth === undefined) throw new Error('no synth');

    const { DetectTaskStops: detectorAsset, ...taskAssets } = firstSynth.assets;
    if (detectorAsset === undefined) throw new Error('the synthesized stack has no DetectTaskStops function');
    const files = Object.fromEntries(Object.entries(taskAssets).map(([id, dir]) => [id, join(dir, 'index.mjs')])) as Record<TaskFunctionId, string>;
    const bundles: Bundles = { dir: firstSynth.outdir, files, detector: join(detectorAsset, 'index.mjs'), buildMs: 0 };

    progress(`cold start: ${loadSamples} fresh node processes per bundle and variant`);
    const coldStart: ColdStartRow[] = await measureColdStart(firstSynth.assets, firstSynth.environments, loadSamples);

    const loadMs = Object.fromEntries(coldStart.map((row) => [row.id, row.loadWithSourceMapsMs])) as Partial<Record<LambdaFunctionId, number>>;
    const comparison = await compareSides({ bundles, loadMs, runs, sensitivityRuns: Math.min(sensitivityRuns, runs), progress });

    progress(`${CONCURRENT_ROLLBACKS} concurrent rollbacks against ECS's request throttling`);
    const concurrent = await measureConcurrentRollbacks(bundles, CONCURRENT_ROLLBACKS, { throttling: 'aws' });
    progress(`concurrent: ${concurrent.succeeded}/${concurrent.executions} succeeded in ${(concurrent.realMs / 1000).toFixed(0)} s`);

    const broken = brokenRuns(comparison, concurrent);
    const report: BenchReport = {
      context,
      durationMs: realEpochMs() - startedReal,
      comparison,
      coldStart,
      synth,
      concurrent,
      throttles: [],
      loadAverage: [loadAtStart, loadavg()[0] ?? 0],
      broken,
    };
    process.stdout.write(`${json ? JSON.stringify(toJson(report), null, 2) : renderText(report)}\n`);
    writeFileSync(join(PROJECT_ROOT, 'BENCHMARKS.md'), renderMarkdown(report));
    progress(`wrote BENCHMARKS.md in ${((realEpochMs() - startedReal) / 1000).toFixed(0)} s`);
    for (const line of broken) process.stderr.write(`BROKEN: ${line}\n`);
    return broken.length === 0 ? 0 : 1;
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
