#!/usr/bin/env node
/**
 * Compiles the `ecs-rollback` CLI (cli/ecs-rollback.ts) into one self-contained ES module,
 * dist/cli/ecs-rollback.mjs (not committed): esbuild bundles the Step Functions client and the
 * package version in, so the installed bin runs on Node alone, with neither tsx nor the AWS SDK
 * installed. `npm run build:cli` runs it on its own; `prepack` (build-package.mjs) runs it too.
 */
import { chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Where the compiled CLI goes (package.json "bin"). */
export const CLI_OUTFILE = join(ROOT, 'dist', 'cli', 'ecs-rollback.mjs');

/** Builds dist/cli/ecs-rollback.mjs. */
export async function buildCli() {
  await build({
    entryPoints: [join(ROOT, 'cli', 'ecs-rollback.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    minify: true,
    mainFields: ['module', 'main'],
    outfile: CLI_OUTFILE,
    banner: {
      js: "#!/usr/bin/env node\nimport { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
  chmodSync(CLI_OUTFILE, 0o755);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildCli();
  console.error('built dist/cli/ecs-rollback.mjs');
}
