/**
 * One synth of the riderapp project with N services, in a fresh process (the bench runs it once
 * per size so every synth pays for bundling, as `cdk synth` does): loadConfig + addRollbackStack +
 * app.synth(), bundling and cdk-nag included. Prints one JSON line: {@link SynthChildResult}.
 *
 * Usage: node --import tsx bench/synth-child.ts <services> <outdir>
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { addRollbackStack } from '../lib/app';
import { loadConfig } from '../lib/config';
import { AWS_LIMITS, type LimitId, measureStack } from '../lib/limits';
import { readDefinitionText } from '../statemachine/definition';
import { synthContext } from './synth-context';

/** What one synth reports. */
export interface SynthChildResult {
  readonly services: number;
  /** Real ms of loadConfig + addRollbackStack + app.synth(). */
  readonly synthMs: number;
  /** Real ms from process start to the synth (node, tsx, aws-cdk-lib and the app's modules). */
  readonly startupMs: number;
  readonly templateBytes: number;
  readonly resources: number;
  readonly outdir: string;
  /** Asset folder of each bundled function (`<outdir>/asset.<hash>`), by task function id. */
  readonly assets: Readonly<Record<string, string>>;
  /** Each function's environment as deployed (values that are CloudFormation tokens become "placeholder"). */
  readonly environments: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** EventBridge rules in the stack (deployment failure + alarms). */
  readonly rules: number;
  /** IAM managed policies the stack creates (size-split per-service grants). */
  readonly managedPolicies: number;
  /** The largest measured size of each limit of lib/limits.ts, and the limit (tokens at their longest). */
  readonly limits: Readonly<Record<string, { readonly size: number; readonly max: number; readonly resource: string }>>;
}

const startupMs = performance.now();
const services = Number(process.argv[2] ?? '1');
const outdir = process.argv[3];
if (!Number.isInteger(services) || services < 1 || outdir === undefined) {
  console.error('usage: synth-child.ts <services> <outdir>');
  process.exit(2);
}
const context = synthContext(services);
const t0 = performance.now();
const app = new App({ outdir, context });
const config = loadConfig((key) => context[key]);
const stack = addRollbackStack(app, config);
const assembly = app.synth();
const synthMs = performance.now() - t0;
const limits: Record<string, { size: number; max: number; resource: string }> = {};
for (const m of measureStack(stack, [{ stateMachine: stack.workflow.stateMachine, definition: readDefinitionText() }])) {
  const max = AWS_LIMITS[m.limit as LimitId].max;
  if ((limits[m.limit]?.size ?? -1) < m.size) limits[m.limit] = { size: m.size, max, resource: m.resource };
}
const artifact = assembly.getStackByName(stack.stackName);
const templatePath = join(outdir, artifact.templateFile);
const template = JSON.parse(readFileSync(templatePath, 'utf8')) as {
  Resources: Record<
    string,
    { Type: string; Properties?: { Code?: { S3Key?: string }; Description?: string; Environment?: { Variables?: Record<string, unknown> } } }
  >;
};
const assets: Record<string, string> = {};
const environments: Record<string, Record<string, string>> = {};
for (const resource of Object.values(template.Resources)) {
  const key = resource.Properties?.Code?.S3Key;
  const taskId = resource.Properties?.Description?.replace(/^ecs-auto-rollback: /, '');
  if (resource.Type === 'AWS::Lambda::Function' && typeof key === 'string' && taskId !== undefined) {
    assets[taskId] = join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
    environments[taskId] = Object.fromEntries(
      Object.entries(resource.Properties?.Environment?.Variables ?? {}).map(([name, value]) => [name, typeof value === 'string' ? value : 'placeholder']),
    );
  }
}
const result: SynthChildResult = {
  services,
  synthMs,
  startupMs,
  templateBytes: statSync(templatePath).size,
  resources: Object.keys(template.Resources).length,
  outdir,
  assets,
  environments,
  rules: Object.values(template.Resources).filter((r) => r.Type === 'AWS::Events::Rule').length,
  managedPolicies: Object.values(template.Resources).filter((r) => r.Type === 'AWS::IAM::ManagedPolicy').length,
  limits,
};
console.log(JSON.stringify(result));
