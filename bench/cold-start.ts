/**
 * Figure 3: each Lambda bundle as the CDK app builds it (the synth's asset, esbuild with BUNDLING):
 * the eight Tasks' functions and the task-stop detector's,
 * its size raw and gzip, and its module load time (median of fresh `node` processes, measured
 * inside the child around a dynamic import as the CPU time the process spent on it,
 * process.cpuUsage(): a load is single-threaded work, and unlike the elapsed time its CPU time does
 * not grow when other processes share the machine's cores), beside the same handler bundled
 * naively: unminified, @aws-sdk/* and @smithy/* left external so node loads the SDK from node_modules.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build, type Plugin } from 'esbuild';
import { BUNDLING } from '../lib/constructs/functions';
import { TASK_FUNCTIONS, type TaskFunctionId } from '../statemachine/definition';
import { DETECTOR_DIR, esbuildOptionsFrom, PROJECT_ROOT } from '../local/harness/bundles';
import { median } from './stats';

const run = promisify(execFile);

/** The id the CDK app gives the task-stop detector's function (its Description, so the synth's asset key). */
export const DETECTOR_FUNCTION_ID = 'DetectTaskStops';

/** A function whose bundle the bench measures: a Task's, or the detector's. */
export type BundledFunctionId = TaskFunctionId | typeof DETECTOR_FUNCTION_ID;

/** Every measured function's folder under lambdas/: the eight Tasks' (TASK_FUNCTIONS) and the detector's. */
export const BUNDLED_FUNCTION_DIRS: Readonly<Record<BundledFunctionId, string>> = {
  ...(Object.fromEntries(Object.entries(TASK_FUNCTIONS).map(([id, task]) => [id, task.dir])) as Record<TaskFunctionId, string>),
  [DETECTOR_FUNCTION_ID]: DETECTOR_DIR,
};

const BUNDLED_IDS = Object.keys(BUNDLED_FUNCTION_DIRS) as BundledFunctionId[];

/** One function's bundles and load times. */
export interface ColdStartRow {
  readonly id: BundledFunctionId;
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
export async function bundleComposition(id: BundledFunctionId, top = 4): Promise<[string, number][]> {
  // write: false: nothing lands on disk, the outfile only names the output.
  const result = await build({
    ...esbuildOptionsFrom(BUNDLING),
    sourcemap: false,
    entryPoints: [join(PROJECT_ROOT, 'lambdas', BUNDLED_FUNCTION_DIRS[id], 'handler.ts')],
    outfile: join(PROJECT_ROOT, 'composition', `${BUNDLED_FUNCTION_DIRS[id]}.mjs`),
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

/** What the naive bundles leave for node to load from node_modules: the SDK, its Smithy runtime too. */
export const NAIVE_EXTERNAL = ['@aws-sdk/*', '@smithy/*'];

/**
 * Keeps deep imports of an SDK package's dist-es modules (lambdas/aws/rds-read-client.ts takes
 * client-rds's endpoint resolver, auth scheme provider and runtime extensions so) inside the naive
 * bundle: node cannot load those files by themselves (ES modules whose relative imports name no
 * extension). What they import from the SDK stays external.
 */
const inlineSdkDistEs: Plugin = {
  name: 'inline-sdk-dist-es',
  setup(builder) {
    const requireFromRoot = createRequire(join(PROJECT_ROOT, 'package.json'));
    builder.onResolve({ filter: /^@aws-sdk\/[^/]+\/dist-es\// }, (args) => ({ path: requireFromRoot.resolve(args.path) }));
  },
};

/** Builds the naive bundles (unminified, SDK external, no source map) into `dir`; returns their paths by function. */
export async function buildNaiveBundles(dir: string): Promise<Record<BundledFunctionId, string>> {
  mkdirSync(dir, { recursive: true });
  await build({
    entryPoints: BUNDLED_IDS.map((id) => ({ in: join(PROJECT_ROOT, 'lambdas', BUNDLED_FUNCTION_DIRS[id], 'handler.ts'), out: `${BUNDLED_FUNCTION_DIRS[id]}/index` })),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: BUNDLING.target ?? 'node22',
    minify: false,
    external: NAIVE_EXTERNAL,
    plugins: [inlineSdkDistEs],
    ...(BUNDLING.banner === undefined ? {} : { banner: { js: BUNDLING.banner } }),
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    absWorkingDir: PROJECT_ROOT,
    logLevel: 'warning',
  });
  return Object.fromEntries(BUNDLED_IDS.map((id) => [id, join(dir, BUNDLED_FUNCTION_DIRS[id], 'index.mjs')])) as Record<BundledFunctionId, string>;
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
 * Measures every function of {@link BUNDLED_FUNCTION_DIRS} (the detector's too: `assets` must hold
 * each, as the synth's do): `samples` fresh processes per variant, interleaved so drift hits all
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
  naive: Record<BundledFunctionId, string>,
): Promise<ColdStartRow[]> {
  const rows: ColdStartRow[] = [];
  for (const id of BUNDLED_IDS) {
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
