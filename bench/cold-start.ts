/**
 * Figure 3: each Lambda bundle as the CDK app builds it (the synth's asset, esbuild with BUNDLING),
 * its size raw and gzip, and its module load time (median of fresh `node` processes, measured
 * inside the child around a dynamic import as the CPU time the process spent on it,
 * process.cpuUsage(): a load is single-threaded work, and unlike the elapsed time its CPU time does
 * not grow when other processes share the machine's cores), beside the same handler bundled
 * naively: unminified, @aws-sdk/* left external so node loads the SDK from node_modules.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { BUNDLING } from '../lib/constructs/functions';
import { TASK_FUNCTIONS, type TaskFunctionId } from '../statemachine/definition';
import { esbuildOptionsFrom, PROJECT_ROOT } from '../local/harness/bundles';
import { median } from './stats';

const run = promisify(execFile);

/** One function's bundles and load times. */
export interface ColdStartRow {
  readonly id: TaskFunctionId;
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly naiveBytes: number;
  readonly naiveGzipBytes: number;
  /** Median module load time, ms: our bundle without and with --enable-source-maps (as deployed), the naive bundle. */
  readonly loadMs: number;
  readonly loadWithSourceMapsMs: number;
  readonly naiveLoadMs: number;
  readonly samples: number;
  /** The largest parts of our bundle (esbuild metafile, bytes in the output), largest first. */
  readonly composition: readonly (readonly [string, number])[];
}

/** The part of a bundle an input belongs to: its package (zod's locales apart), or "our code". */
export function bundlePart(inputPath: string): string {
  if (inputPath.includes('node_modules/zod/v4/locales/')) return 'zod locales';
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules\/)/.exec(inputPath);
  return match?.[1] ?? 'our code';
}

/** Builds one function as BUNDLING does (harness mapping), with a metafile: its largest parts. */
export async function bundleComposition(id: TaskFunctionId, top = 4): Promise<[string, number][]> {
  // write: false: nothing lands on disk, the outfile only names the output.
  const result = await build({
    ...esbuildOptionsFrom(BUNDLING),
    sourcemap: false,
    entryPoints: [join(PROJECT_ROOT, 'lambdas', TASK_FUNCTIONS[id].dir, 'handler.ts')],
    outfile: join(PROJECT_ROOT, 'composition', `${TASK_FUNCTIONS[id].dir}.mjs`),
    write: false,
    metafile: true,
    absWorkingDir: PROJECT_ROOT,
  });
  const parts = new Map<string, number>();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const [path, input] of Object.entries(output.inputs)) parts.set(bundlePart(path), (parts.get(bundlePart(path)) ?? 0) + input.bytesInOutput);
  }
  return [...parts].sort((a, b) => b[1] - a[1]).slice(0, top);
}

/** Where the naive bundles' folders go: inside the project, so node finds @aws-sdk/* in node_modules. */
export const NAIVE_CACHE = join(PROJECT_ROOT, 'node_modules', '.cache');

/**
 * A fresh folder of its own for one run's naive bundles (node_modules/.cache/ecs-rollback-bench-XXXXXX),
 * so that two runs (a bench and a test, two benches) never build into or delete each other's.
 */
export function naiveDir(): string {
  mkdirSync(NAIVE_CACHE, { recursive: true });
  return mkdtempSync(join(NAIVE_CACHE, 'ecs-rollback-bench-'));
}

/** Builds the naive bundles (unminified, SDK external, no source map) into `dir`; returns their paths by function. */
export async function buildNaiveBundles(dir: string): Promise<Record<TaskFunctionId, string>> {
  mkdirSync(dir, { recursive: true });
  const ids = Object.keys(TASK_FUNCTIONS) as TaskFunctionId[];
  await build({
    entryPoints: ids.map((id) => ({ in: join(PROJECT_ROOT, 'lambdas', TASK_FUNCTIONS[id].dir, 'handler.ts'), out: `${TASK_FUNCTIONS[id].dir}/index` })),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: BUNDLING.target ?? 'node22',
    minify: false,
    external: ['@aws-sdk/*'],
    ...(BUNDLING.banner === undefined ? {} : { banner: { js: BUNDLING.banner } }),
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    absWorkingDir: PROJECT_ROOT,
    logLevel: 'warning',
  });
  return Object.fromEntries(ids.map((id) => [id, join(dir, TASK_FUNCTIONS[id].dir, 'index.mjs')])) as Record<TaskFunctionId, string>;
}

const LOAD_SCRIPT =
  'const url = process.argv[1]; const c0 = process.cpuUsage(); const t0 = performance.now(); const m = await import(url);' +
  ' const elapsedMs = performance.now() - t0; const c = process.cpuUsage(c0); const ms = (c.user + c.system) / 1000;' +
  " if (typeof m.handler !== 'function') throw new Error('no handler'); console.log(JSON.stringify({ ms, elapsedMs }));";

/** Loads a bundle in a fresh node process; returns the CPU ms the import took (process.cpuUsage, user + system). */
export async function loadOnce(file: string, env: Readonly<Record<string, string>>, nodeOptions?: string): Promise<number> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', LOAD_SCRIPT, pathToFileURL(file).href], {
    env: {
      PATH: process.env.PATH ?? '',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'example',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...env,
      ...(nodeOptions === undefined ? {} : { NODE_OPTIONS: nodeOptions }),
    },
    cwd: PROJECT_ROOT,
    timeout: 30_000,
  });
  return (JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { ms: number }).ms;
}

function sizes(file: string): { bytes: number; gzipBytes: number } {
  return { bytes: statSync(file).size, gzipBytes: gzipSync(readFileSync(file), { level: 9 }).length };
}

/**
 * Measures every function: `samples` fresh processes per variant, interleaved so drift hits all
 * alike. The naive bundles go to a folder of this run's own (naiveDir), removed at the end.
 */
export async function measureColdStart(
  assets: Readonly<Record<string, string>>,
  environments: Readonly<Record<string, Readonly<Record<string, string>>>>,
  samples = 11,
): Promise<ColdStartRow[]> {
  const dir = naiveDir();
  try {
    return await measureWithNaive(assets, environments, samples, await buildNaiveBundles(dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measureWithNaive(
  assets: Readonly<Record<string, string>>,
  environments: Readonly<Record<string, Readonly<Record<string, string>>>>,
  samples: number,
  naive: Record<TaskFunctionId, string>,
): Promise<ColdStartRow[]> {
  const rows: ColdStartRow[] = [];
  for (const id of Object.keys(TASK_FUNCTIONS) as TaskFunctionId[]) {
    const asset = assets[id];
    if (asset === undefined) throw new Error(`no CDK asset for ${id}`);
    const ours = join(asset, 'index.mjs');
    const { NODE_OPTIONS: _deployed, ...env } = environments[id] ?? {};
    const load: number[] = [];
    const loadMaps: number[] = [];
    const naiveLoad: number[] = [];
    for (let i = 0; i < samples; i += 1) {
      naiveLoad.push(await loadOnce(naive[id], env));
      load.push(await loadOnce(ours, env));
      loadMaps.push(await loadOnce(ours, env, '--enable-source-maps'));
    }
    const own = sizes(ours);
    const plain = sizes(naive[id]);
    rows.push({
      id,
      bytes: own.bytes,
      gzipBytes: own.gzipBytes,
      naiveBytes: plain.bytes,
      naiveGzipBytes: plain.gzipBytes,
      loadMs: median(load),
      loadWithSourceMapsMs: median(loadMaps),
      naiveLoadMs: median(naiveLoad),
      samples,
      composition: await bundleComposition(id),
    });
  }
  return rows;
}
