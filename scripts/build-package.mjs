#!/usr/bin/env node
/**
 * Builds what `npm pack` ships (run by `prepack`; the output, dist/, is not committed):
 * - dist/index.js (ESM) and dist/index.cjs (CommonJS): lib/index.ts bundled with esbuild, so the
 *   extensionless imports of the sources need no rewriting; aws-cdk-lib and constructs stay imports
 *   (peer dependencies); the configuration schema's zod/mini is bundled in, so the package has no
 *   runtime dependency and a user's own zod is neither needed nor touched;
 * - dist/rollback.asl.json: the state machine definition the construct deploys;
 * - dist/lambdas/<task>/index.mjs: the eight task functions and the task-stop detector, prebuilt with the same esbuild options
 *   the app's NodejsFunction uses (lib/constructs/functions.ts BUNDLING), so a user's synth needs
 *   neither esbuild nor Docker;
 * - dist/cli/ecs-rollback.mjs: the `ecs-rollback` CLI compiled into one file (build-cli.mjs), the
 *   package's "bin", which runs without tsx or the AWS SDK installed;
 * - dist/types/: type declarations (tsc), relative imports given their `.js` so Node16/NodeNext
 *   resolution finds them.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { buildCli } from './build-cli.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');

/** Folder of each task function under lambdas/ (statemachine/definition.ts TASK_FUNCTIONS). */
const TASK_DIRS = [
  'prepare',
  'resolve-target',
  'register-task-definition',
  'update-service',
  'check-stability',
  'probe-health',
  'notify',
  'release-lock',
  // The task-stop detector (lib/constructs/detector.ts): not a Task of the state machine, started by its own rule.
  'detect-task-stops',
];

rmSync(DIST, { recursive: true, force: true });
mkdirSync(DIST, { recursive: true });

// The construct library, ESM and CommonJS.
const library = {
  entryPoints: [join(ROOT, 'lib', 'index.ts')],
  bundle: true,
  platform: 'node',
  target: 'node20',
  // Peer dependencies stay imports; everything else the library uses (zod/mini) is bundled.
  external: ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs'],
  sourcemap: true,
  logLevel: 'warning',
};
await build({ ...library, format: 'esm', outfile: join(DIST, 'index.js') });
await build({
  ...library,
  format: 'cjs',
  outfile: join(DIST, 'index.cjs'),
  define: { 'import.meta.url': '__import_meta_url' },
  banner: { js: "const __import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
});
copyFileSync(join(ROOT, 'statemachine', 'rollback.asl.json'), join(DIST, 'rollback.asl.json'));

// The task functions, as NodejsFunction would bundle them.
for (const dir of TASK_DIRS) {
  await build({
    entryPoints: [join(ROOT, 'lambdas', dir, 'handler.ts')],
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    minify: true,
    sourcemap: true,
    mainFields: ['module', 'main'],
    outfile: join(DIST, 'lambdas', dir, 'index.mjs'),
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
    alias: { '@aws-sdk/credential-provider-node': join(ROOT, 'lambdas', 'aws', 'env-credentials.ts') },
    logLevel: 'warning',
  });
}

// The CLI.
await buildCli();

// Type declarations.
execFileSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', join(ROOT, 'tsconfig.build.json')], { stdio: ['ignore', process.stderr, process.stderr] });
for (const file of walk(join(DIST, 'types'))) {
  if (!file.endsWith('.d.ts')) continue;
  const text = readFileSync(file, 'utf8').replace(/(from\s+|import\()(['"])(\.{1,2}\/[^'"]+)\2/g, (match, lead, quote, specifier) => {
    if (/\.(js|mjs|cjs|json)$/.test(specifier)) return match;
    const target = join(dirname(file), specifier);
    const isDir = exists(target) && statSync(target).isDirectory();
    return `${lead}${quote}${specifier}${isDir ? '/index.js' : '.js'}${quote}`;
  });
  writeFileSync(file, text);
}
console.error(`built ${relative(ROOT, DIST)}/: index.js, index.cjs, rollback.asl.json, lambdas/ (${TASK_DIRS.length}), cli/ecs-rollback.mjs, types/`);

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield path;
  }
}

function exists(path) {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}
