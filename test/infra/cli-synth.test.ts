import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { TASK_FUNCTIONS } from '../../statemachine/definition';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const CDK = join(ROOT, 'node_modules', '.bin', 'cdk');
const TIMEOUT = 180_000;

/** The environment of a machine with no AWS credentials or configuration, and no way out. */
function offlineEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('AWS_') && !key.startsWith('CDK_')) env[key] = value;
  }
  return {
    ...env,
    CDK_HOME: join(ROOT, '.cdk-home'),
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    HTTP_PROXY: 'http://127.0.0.1:9',
    HTTPS_PROXY: 'http://127.0.0.1:9',
    NO_PROXY: '',
  };
}

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function cdkSynth(args: string[], outdir: string): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(CDK, ['synth', '-q', '-o', outdir, ...args], {
      cwd: ROOT,
      env: offlineEnv(),
      timeout: TIMEOUT,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failure.code ?? -1, stdout: failure.stdout ?? '', stderr: failure.stderr ?? '' };
  }
}

type Template = { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };

describe('npx cdk synth -c project=riderapp', () => {
  let outdir: string;
  let outcome: Outcome;

  beforeAll(async () => {
    outdir = mkdtempSync(join(tmpdir(), 'ecs-auto-rollback-cli-'));
    outcome = await cdkSynth(['-c', 'project=riderapp'], outdir);
  }, TIMEOUT);

  it('exits 0 without AWS credentials or network, and cdk-nag reports nothing', () => {
    // Assess
    expect(outcome.stderr).not.toMatch(/AwsSolutions-/);
    expect(outcome.code).toBe(0);
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports).toEqual([]);
  });

  it('writes one stack with the eight task functions, the deploy-time writer of the services configuration, the task-stop detector and the state machine', () => {
    // Act
    const template = JSON.parse(readFileSync(join(outdir, 'riderapp-ecs-auto-rollback.template.json'), 'utf8')) as Template;
    const types = Object.values(template.Resources).map((r) => r.Type);
    const ourFunctions = Object.values(template.Resources).filter(
      (r) => r.Type === 'AWS::Lambda::Function' && String(r.Properties.Description).startsWith('ecs-auto-rollback: '),
    );

    // Assess
    expect(ourFunctions).toHaveLength(Object.keys(TASK_FUNCTIONS).length + 1);
    expect(types.filter((t) => t === 'AWS::Lambda::Function')).toHaveLength(Object.keys(TASK_FUNCTIONS).length + 2);
    expect(types.filter((t) => t === 'Custom::EcsRollbackServicesConfig')).toHaveLength(1);
    expect(types.filter((t) => t === 'AWS::StepFunctions::StateMachine')).toHaveLength(1);
  });

  it('bundles each function into an ES module whose handler loads in Node', async () => {
    // Prepare
    const template = JSON.parse(readFileSync(join(outdir, 'riderapp-ecs-auto-rollback.template.json'), 'utf8')) as Template;
    const functions = Object.values(template.Resources).filter(
      (r) => r.Type === 'AWS::Lambda::Function' && String(r.Properties.Description).startsWith('ecs-auto-rollback: '),
    );
    const assetDirs = readdirSync(outdir).filter((name) => name.startsWith('asset.') && !name.endsWith('.json'));

    // Act
    const loaded: string[] = [];
    for (const fn of functions) {
      const key = (fn.Properties.Code as { S3Key: string }).S3Key.replace(/\.zip$/, '');
      expect(assetDirs).toContain(`asset.${key}`);
      const bundle = join(outdir, `asset.${key}`, 'index.mjs');
      const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      const env = Object.fromEntries(
        Object.entries(variables).map(([name, value]) => [name, typeof value === 'string' ? value : 'placeholder']),
      );
      const script = `import(${JSON.stringify(pathToFileURL(bundle).href)}).then((m) => console.log(typeof m.handler))`;
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
        env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', ...env },
        timeout: 30_000,
      });
      loaded.push(stdout.trim());
    }

    // Assess
    expect(loaded).toEqual(functions.map(() => 'function'));
  });
});

describe('npx cdk synth with a bad configuration', () => {
  it('exits 1 and names the field and the bad value', async () => {
    // Act
    const outcome = await cdkSynth(['-c', 'project=riderapp', '-c', 'cooldownMinutes=soon'], mkdtempSync(join(tmpdir(), 'ecs-auto-rollback-cli-')));

    // Assess
    expect(outcome.code).not.toBe(0);
    expect(outcome.stderr).toContain('cooldownMinutes: expected a number between 1 and 1440, got "soon"');
  }, TIMEOUT);
});
