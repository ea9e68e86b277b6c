/**
 * Synth at scale: synth time, template size, rules and IAM managed policies of the riderapp project
 * at 1, 50 and 200 services, each synth in a fresh process (bench/synth-child.ts), and every AWS
 * limit of lib/limits.ts with its largest measured size. Figures for `npm run bench` (key `synth`).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { SynthChildResult } from './synth-child';

const run = promisify(execFile);
const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The project sizes the bench synthesizes. */
export const SCALE_SIZES = [1, 50, 200] as const;

/** One synth's figures. */
export interface ScaleRow {
  readonly services: number;
  readonly synthMs: number;
  readonly templateBytes: number;
  readonly resources: number;
  readonly rules: number;
  readonly managedPolicies: number;
  /** Largest measured size per limit, with the limit. */
  readonly limits: SynthChildResult['limits'];
}

/** Synthesizes the riderapp project with `services` services in a fresh process. */
export async function synthAt(services: number, outdir = mkdtempSync(join(tmpdir(), `ecs-auto-rollback-synth-${services}-`))): Promise<SynthChildResult> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'bench', 'synth-child.ts'), String(services), outdir], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    maxBuffer: 64 * 1024 * 1024,
    timeout: 600_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as SynthChildResult;
}

/** Synth figures at each size (1, 50, 200 by default). */
export async function measureSynthScale(sizes: readonly number[] = SCALE_SIZES): Promise<ScaleRow[]> {
  const rows: ScaleRow[] = [];
  for (const services of sizes) {
    const r = await synthAt(services);
    rows.push({
      services,
      synthMs: r.synthMs,
      templateBytes: r.templateBytes,
      resources: r.resources,
      rules: r.rules,
      managedPolicies: r.managedPolicies,
      limits: r.limits,
    });
  }
  return rows;
}
