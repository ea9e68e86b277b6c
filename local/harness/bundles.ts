/**
 * The esbuild bundles the CDK app deploys, built locally: each lambdas/<dir>/handler.ts with the
 * app's own BundlingOptions (lib/constructs/functions.ts) into a temporary folder, once per
 * process, then imported so the demo and the end-to-end tests run the code Lambda would run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { type BuildOptions, build } from 'esbuild';
import { TASK_FUNCTIONS, type TaskFunctionId } from '../../statemachine/definition';
import type { TaskHandler } from '../../statemachine/local';

/** Repository root (lambdas/ lives here). */
export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The built bundles: one ESM file per task function. */
export interface Bundles {
  /** The temporary folder holding them (removed when the process exits). */
  readonly dir: string;
  /** Absolute path of each function's bundle (`<dir>/<function dir>/index.mjs`, as CDK names it). */
  readonly files: Readonly<Record<TaskFunctionId, string>>;
  /** The task-stop detector's bundle (lambdas/detect-task-stops; not a Task of the state machine). */
  readonly detector: string;
  /** Real milliseconds the build took. */
  readonly buildMs: number;
}

/** A fresh instance of each bundle's module: its handler and its replaceable `deps`, when it has them. */
export interface LoadedFunction {
  readonly handler: TaskHandler;
  readonly deps?: Record<string, unknown>;
}

/** The esbuild options equivalent to CDK NodejsFunction BundlingOptions (the ones the app sets). */
export function esbuildOptionsFrom(bundling: BundlingOptions): BuildOptions {
  const sourceMapMode = bundling.sourceMapMode ?? 'default';
  const sourcemap: BuildOptions['sourcemap'] =
    bundling.sourceMap !== true ? false : sourceMapMode === 'default' ? true : (sourceMapMode as 'inline' | 'external' | 'both');
  return {
    bundle: true,
    platform: 'node',
    minify: bundling.minify ?? false,
    sourcemap,
    ...(bundling.sourcesContent === undefined ? {} : { sourcesContent: bundling.sourcesContent }),
    ...(bundling.target === undefined ? {} : { target: bundling.target }),
    format: bundling.format === 'esm' ? 'esm' : 'cjs',
    ...(bundling.mainFields === undefined ? {} : { mainFields: [...bundling.mainFields] }),
    ...(bundling.banner === undefined ? {} : { banner: { js: bundling.banner } }),
    ...(bundling.footer === undefined ? {} : { footer: { js: bundling.footer } }),
    external: [...(bundling.externalModules ?? ['@aws-sdk/*'])],
    ...(bundling.keepNames === undefined ? {} : { keepNames: bundling.keepNames }),
    ...(bundling.define === undefined ? {} : { define: { ...bundling.define } }),
    ...(bundling.loader === undefined ? {} : { loader: { ...bundling.loader } as BuildOptions['loader'] }),
    ...(bundling.tsconfig === undefined ? {} : { tsconfig: join(PROJECT_ROOT, bundling.tsconfig) }),
    ...(bundling.inject === undefined ? {} : { inject: [...bundling.inject] }),
    ...aliasesFrom(bundling.esbuildArgs),
    logLevel: 'warning',
  };
}

/** esbuildArgs as CDK passes them to the esbuild CLI; only `--alias` is understood, anything else throws (no silent difference). */
function aliasesFrom(esbuildArgs: BundlingOptions['esbuildArgs']): Pick<BuildOptions, 'alias'> {
  if (esbuildArgs === undefined) return {};
  const alias: Record<string, string> = {};
  for (const [key, value] of Object.entries(esbuildArgs) as [string, unknown][]) {
    const items = key === '--alias' ? (Array.isArray(value) ? value : [value]) : key.startsWith('--alias:') ? [`${key.slice('--alias:'.length)}=${String(value)}`] : undefined;
    if (items === undefined) throw new Error(`esbuildOptionsFrom: esbuildArgs ${key} is not supported by the local harness`);
    for (const item of items) {
      const [from, ...to] = String(item).split('=');
      if (from === undefined || from === '' || to.length === 0) throw new Error(`esbuildOptionsFrom: esbuildArgs ${key}: expected from=to, got ${String(item)}`);
      alias[from] = to.join('=');
    }
  }
  return Object.keys(alias).length === 0 ? {} : { alias };
}

/**
 * Node's own import(), from a data: URL module, out of reach of test runners that transform the
 * modules they load (vitest would push each 1 MB bundle through Vite): the bundles run as
 * Lambda's Node loads them.
 */
let nativeImport: ((specifier: string) => Promise<unknown>) | undefined;
const NATIVE_IMPORT_MODULE = 'data:text/javascript,export default (specifier) => import(specifier);';

async function importNatively(specifier: string): Promise<unknown> {
  nativeImport ??= ((await import(/* @vite-ignore */ NATIVE_IMPORT_MODULE)) as {
    default: (specifier: string) => Promise<unknown>;
  }).default;
  return nativeImport(specifier);
}

let building: Promise<Bundles> | undefined;

/** The detector's folder under lambdas/. */
export const DETECTOR_DIR = 'detect-task-stops';

/** A fresh instance of the detector's bundle (its handler). */
export async function importDetector(bundles: Bundles, instance: string): Promise<TaskHandler> {
  const mod = (await importNatively(`${pathToFileURL(bundles.detector).href}?instance=${encodeURIComponent(instance)}`)) as { handler?: TaskHandler };
  if (typeof mod.handler !== 'function') throw new Error(`${bundles.detector}: exports no handler`);
  return mod.handler;
}

/** Builds the eight task functions with the CDK app's BUNDLING settings; once per process. */
export function buildBundles(): Promise<Bundles> {
  building ??= buildOnce();
  return building;
}

/** Removes the bundles' folder now (test runners may end their workers without an 'exit' event); the next buildBundles() builds again. */
export async function removeBundles(): Promise<void> {
  const pending = building;
  building = undefined;
  if (pending === undefined) return;
  const bundles = await pending.catch(() => undefined);
  if (bundles !== undefined) rmSync(bundles.dir, { recursive: true, force: true });
}

async function buildOnce(): Promise<Bundles> {
  const started = performance.now();
  const { BUNDLING } = await import('../../lib/constructs/functions');
  const dir = mkdtempSync(join(tmpdir(), 'ecs-rollback-bundles-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const ids = Object.keys(TASK_FUNCTIONS) as TaskFunctionId[];
  await build({
    ...esbuildOptionsFrom(BUNDLING),
    entryPoints: [
      ...ids.map((id) => ({ in: join(PROJECT_ROOT, 'lambdas', TASK_FUNCTIONS[id].dir, 'handler.ts'), out: `${TASK_FUNCTIONS[id].dir}/index` })),
      { in: join(PROJECT_ROOT, 'lambdas', DETECTOR_DIR, 'handler.ts'), out: `${DETECTOR_DIR}/index` },
    ],
    outdir: dir,
    outExtension: { '.js': BUNDLING.format === 'esm' ? '.mjs' : '.js' },
    absWorkingDir: PROJECT_ROOT,
  });
  const files = Object.fromEntries(ids.map((id) => [id, join(dir, TASK_FUNCTIONS[id].dir, 'index.mjs')])) as Record<TaskFunctionId, string>;
  return { dir, files, detector: join(dir, DETECTOR_DIR, 'index.mjs'), buildMs: performance.now() - started };
}

/**
 * Imports a new instance of every bundle (`?instance=<tag>` busts the module cache), so the
 * modules read the environment as it is now and create their SDK clients afresh.
 */
export async function importBundles(bundles: Bundles, instance: string): Promise<Record<TaskFunctionId, LoadedFunction>> {
  const ids = Object.keys(bundles.files) as TaskFunctionId[];
  const modules = await Promise.all(
    ids.map(async (id) => {
      const mod = (await importNatively(`${pathToFileURL(bundles.files[id]).href}?instance=${encodeURIComponent(instance)}`)) as {
        handler?: TaskHandler;
        deps?: Record<string, unknown>;
      };
      if (typeof mod.handler !== 'function') throw new Error(`${bundles.files[id]}: exports no handler`);
      return [id, { handler: mod.handler, ...(mod.deps === undefined ? {} : { deps: mod.deps }) }] as const;
    }),
  );
  return Object.fromEntries(modules) as Record<TaskFunctionId, LoadedFunction>;
}
