import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

interface Step {
  readonly name?: string;
  readonly id?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
  readonly shell?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Record<string, string>;
}

interface Input {
  readonly type: string;
  readonly required?: boolean;
  readonly default?: unknown;
  readonly options?: string[];
  readonly description?: string;
}

const TEXT = readFileSync(join(import.meta.dirname, '../../.github/workflows/rollback.yml'), 'utf8');
const WORKFLOW = parse(TEXT) as {
  on: Record<string, { inputs: Record<string, Input> }>;
  permissions?: Record<string, string>;
  jobs: Record<string, { env?: Record<string, string>; permissions?: Record<string, string>; environment?: string; steps: Step[] }>;
};
const JOB = Object.values(WORKFLOW.jobs)[0]!;
const STEPS = JOB.steps;
const INPUTS = WORKFLOW.on.workflow_dispatch!.inputs;

const stepIndex = (predicate: (step: Step) => boolean): number => STEPS.findIndex(predicate);
const CONFIRM_STEP = stepIndex((step) => step.run?.includes('CONFIRM') === true && step.run.includes('exit 1'));
const CREDENTIALS_STEP = stepIndex((step) => step.uses?.startsWith('aws-actions/configure-aws-credentials@') === true);
const ROLLBACK_STEP = stepIndex((step) => step.run?.includes('npx ecs-rollback') === true);

const scratch = mkdtempSync(join(tmpdir(), 'rollback-workflow-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs a step's script the way GitHub does for `shell: bash`, with a stand-in `npx` on PATH. */
function runStep(step: Step, env: Record<string, string>, npxExitCode = 0): { status: number | null; argv: string[]; stdout: string } {
  const bin = mkdtempSync(join(scratch, 'bin-'));
  const argvFile = join(bin, 'argv');
  writeFileSync(join(bin, 'npx'), `#!/usr/bin/env bash\nprintf '%s\\n' "$@" > ${JSON.stringify(argvFile)}\necho "rolled back"\nexit ${npxExitCode}\n`);
  chmodSync(join(bin, 'npx'), 0o755);
  const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step.run ?? ''], {
    cwd: bin,
    env: { PATH: `${bin}:${process.env.PATH ?? ''}`, GITHUB_ACTOR: 'octocat', ...env },
    encoding: 'utf8',
  });
  let argv: string[] = [];
  try {
    argv = readFileSync(argvFile, 'utf8').trimEnd().split('\n');
  } catch {
    argv = [];
  }
  return { status: result.status, argv, stdout: result.stdout };
}

const RIDERAPP_ENV = {
  PROJECT: 'riderapp',
  AWS_REGION: 'us-east-1',
  ROLLBACK_TYPE: 'application',
  TARGET: '',
  DRY_RUN: 'false',
  DRY_RUN_FLAG: '',
  CONFIRM_ROLLBACK: 'CONFIRM',
  RUN_URL: 'https://github.com/octo/riderapp/actions/runs/42',
};

describe('.github/workflows/rollback.yml', () => {
  it('is started by hand only (workflow_dispatch)', () => {
    expect(Object.keys(WORKFLOW.on)).toEqual(['workflow_dispatch']);
  });

  it("offers the seed's inputs with their types, plus project, region and dry run", () => {
    expect(INPUTS.rollback_type).toMatchObject({
      type: 'choice',
      required: true,
      default: 'application',
      options: ['application', 'infrastructure', 'database', 'full'],
    });
    expect(INPUTS.target_commit).toMatchObject({ type: 'string', required: false });
    expect(INPUTS.confirm_rollback).toMatchObject({ type: 'string', required: false });
    expect(INPUTS.confirm_rollback?.description).toContain('CONFIRM');
    expect(INPUTS.project).toMatchObject({ type: 'string' });
    expect(INPUTS.aws_region).toMatchObject({ type: 'string' });
    expect(INPUTS.dry_run).toMatchObject({ type: 'boolean', default: false });
  });

  it('assumes an AWS role through OIDC and references no access keys', () => {
    const permissions = { ...WORKFLOW.permissions, ...JOB.permissions };
    expect(permissions).toEqual({ 'id-token': 'write', contents: 'read' });
    expect(CREDENTIALS_STEP).toBeGreaterThanOrEqual(0);
    const credentials = STEPS[CREDENTIALS_STEP]!.with ?? {};
    expect(String(credentials['role-to-assume'])).toMatch(/\$\{\{ vars\.ECS_ROLLBACK_ROLE_ARN/);
    expect(Object.keys(credentials)).not.toContain('aws-access-key-id');
    expect(TEXT).not.toMatch(/AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|aws-access-key-id|aws-secret-access-key|AWS_SESSION_TOKEN/);
  });

  it('checks CONFIRM before anything else, and before the rollback', () => {
    expect(CONFIRM_STEP).toBe(0);
    expect(CONFIRM_STEP).toBeLessThan(CREDENTIALS_STEP);
    expect(CREDENTIALS_STEP).toBeLessThan(ROLLBACK_STEP);
  });

  it.each([
    ['CONFIRM', 'false', 0],
    ['confirm', 'false', 1],
    ['', 'false', 1],
    ['yes', 'false', 1],
    ['', 'true', 0],
  ])('confirm_rollback %j with dry_run %s → the check exits %i', (confirm, dryRun, status) => {
    const result = runStep(STEPS[CONFIRM_STEP]!, { ...RIDERAPP_ENV, CONFIRM_ROLLBACK: confirm, DRY_RUN: dryRun });

    expect(result.status).toBe(status);
    if (status !== 0) expect(result.stdout).toContain('::error title=Rollback not confirmed::');
  });

  it('maps the inputs to the environment the scripts read, never into the script text', () => {
    expect(JOB.env).toMatchObject({
      PROJECT: '${{ inputs.project || vars.ECS_ROLLBACK_PROJECT }}',
      ROLLBACK_TYPE: '${{ inputs.rollback_type }}',
      TARGET: '${{ inputs.target_commit }}',
      DRY_RUN: '${{ inputs.dry_run }}',
      CONFIRM_ROLLBACK: '${{ inputs.confirm_rollback }}',
    });
    expect(JOB.env?.AWS_REGION).toContain('inputs.aws_region');
    expect(STEPS[ROLLBACK_STEP]!.env?.DRY_RUN_FLAG).toBe("${{ inputs.dry_run && '--dry-run' || '' }}");
    for (const step of STEPS) expect(step.run ?? '').not.toContain('${{');
  });

  it('runs ecs-rollback start with the inputs, --yes and --wait', () => {
    const result = runStep(STEPS[ROLLBACK_STEP]!, { ...RIDERAPP_ENV, ROLLBACK_TYPE: 'full', TARGET: '3f2a9c1' });

    expect(result.status).toBe(0);
    expect(result.argv).toEqual([
      'ecs-rollback',
      'start',
      '--project',
      'riderapp',
      '--region',
      'us-east-1',
      '--type',
      'full',
      '--to',
      '3f2a9c1',
      '--reason',
      'GitHub Actions: https://github.com/octo/riderapp/actions/runs/42',
      '--requested-by',
      'octocat (GitHub Actions)',
      '--yes',
      '--wait',
    ]);
  });

  it('leaves out --to for the last known-good version and adds --dry-run for a dry run', () => {
    const result = runStep(STEPS[ROLLBACK_STEP]!, { ...RIDERAPP_ENV, DRY_RUN: 'true', DRY_RUN_FLAG: '--dry-run' });

    expect(result.argv).not.toContain('--to');
    expect(result.argv).toContain('--dry-run');
  });

  it('fails the job when the rollback fails', () => {
    const result = runStep(STEPS[ROLLBACK_STEP]!, RIDERAPP_ENV, 1);

    expect(result.status).toBe(1);
    expect(result.stdout).toContain('rolled back');
  });

  it('writes a job summary even when a step failed', () => {
    const summary = STEPS.at(-1)!;
    expect(summary.if).toBe('always()');
    expect(summary.run).toContain('GITHUB_STEP_SUMMARY');
    expect(summary.env?.OUTCOME).toBe('${{ steps.rollback.outcome }}');
  });

  it('pins every action to a full commit SHA, with the release tag in a comment', () => {
    const uses = TEXT.split('\n').filter((line) => /^\s*uses:/.test(line));
    expect(uses.length).toBeGreaterThanOrEqual(3);
    for (const line of uses) expect(line).toMatch(/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
  });

  it('compiles the CLI after npm ci and before it runs it (the bin is dist/cli/ecs-rollback.mjs, not committed)', () => {
    // Assess
    const install = stepIndex((step) => step.run?.includes('npm ci') === true);
    const build = stepIndex((step) => step.run?.trim() === 'npm run build:cli');
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as {
      bin: Record<string, string>;
      scripts: Record<string, string>;
    };
    expect(install).toBeGreaterThanOrEqual(0);
    expect(build).toBeGreaterThan(install);
    expect(ROLLBACK_STEP).toBeGreaterThan(build);
    expect(pkg.bin['ecs-rollback']).toBe('dist/cli/ecs-rollback.mjs');
    expect(pkg.scripts['build:cli']).toBe('node scripts/build-cli.mjs');
  });

  it('sets up a maintained Node.js (22 or newer)', () => {
    const setupNode = STEPS.find((step) => step.uses?.startsWith('actions/setup-node@'));
    expect(Number(setupNode?.with?.['node-version'])).toBeGreaterThanOrEqual(22);
  });

  it('runs the job in an environment that can require approval, and a dry run in one that need not', () => {
    expect(JOB.environment).toBe("${{ inputs.dry_run && 'ecs-rollback-plan' || 'ecs-rollback' }}");
  });

  it('is a valid workflow for the GitHub Actions schema (action-validator, offline)', () => {
    const validator = join(import.meta.dirname, '../../node_modules/.bin/action-validator');
    const result = spawnSync(validator, [join(import.meta.dirname, '../../.github/workflows/rollback.yml')], { encoding: 'utf8' });
    expect(result.stderr + result.stdout).not.toMatch(/error/i);
    expect(result.status).toBe(0);
  });

  it('rejects a workflow that breaks the schema (the validator is not a no-op)', () => {
    const broken = join(scratch, 'broken.yml');
    writeFileSync(broken, TEXT.replace('  workflow_dispatch:', '  workflow_dispatched:'));
    const result = spawnSync(join(import.meta.dirname, '../../node_modules/.bin/action-validator'), [broken], { encoding: 'utf8' });
    expect(result.status).not.toBe(0);
  });
});
