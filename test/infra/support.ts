/** Builds the riderapp stack in-process for the infrastructure tests (bundling skipped: it is slow). */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { addRollbackStack } from '../../lib/app';
import { loadConfig } from '../../lib/config';
import type { RollbackStack } from '../../lib/rollback-stack';

export const ACCOUNT = '111122223333';
export const REGION = 'us-east-1';
export const TARGET_GROUP_ARN = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/riderapp-tg/73e2d6bc24d8a067`;
export const SERVICE_ARN = `arn:aws:ecs:${REGION}:${ACCOUNT}:service/riderapp-cluster/riderapp-service`;

/** The riderapp story as a cdk.json context: one service behind riderapp-alb, one extra alarm. */
export const RIDERAPP_CONTEXT: Record<string, unknown> = {
  project: 'riderapp',
  account: ACCOUNT,
  region: REGION,
  services: [
    {
      cluster: 'riderapp-cluster',
      service: 'riderapp-service',
      ecrRepository: 'riderapp',
      targetGroup: TARGET_GROUP_ARN,
      loadBalancer: 'app/riderapp-alb/50dc6c495c0c9188',
      healthCheckUrl: 'https://riderapp.example.com/health',
      alarmNames: ['riderapp-5xx-errors'],
    },
  ],
  notificationEmails: ['oncall@riderapp.example.com'],
};

export interface Synthesized {
  readonly app: App;
  readonly stack: RollbackStack;
  readonly template: Template;
  readonly json: { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
  readonly outdir: string;
}

/** Synthesizes the app the way bin/app.ts does (cdk-nag included), from a context. */
export function synthesize(context: Record<string, unknown> = RIDERAPP_CONTEXT): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'ecs-auto-rollback-infra-'));
  const app = new App({ outdir, context: { ...context, 'aws:cdk:bundling-stacks': [] } });
  const config = loadConfig((key) => context[key]);
  const stack = addRollbackStack(app, config);
  const assembly = app.synth();
  const artifact = assembly.getStackByName(stack.stackName);
  const json = JSON.parse(readFileSync(join(outdir, artifact.templateFile), 'utf8'));
  return { app, stack, template: Template.fromJSON(json), json, outdir };
}

/** Replaces the pseudo parameters and joins of a CloudFormation value, for comparing with real ARNs. */
export function resolveIntrinsics(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(resolveIntrinsics);
  if (typeof value !== 'object' || value === null) return value;
  const object = value as Record<string, unknown>;
  if ('Ref' in object) {
    const pseudo: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': REGION, 'AWS::AccountId': ACCOUNT, 'AWS::URLSuffix': 'amazonaws.com' };
    return pseudo[object.Ref as string] ?? `<${String(object.Ref)}>`;
  }
  if ('Fn::GetAtt' in object) return `<${(object['Fn::GetAtt'] as string[]).join('.')}>`;
  if ('Fn::Join' in object) {
    const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => String(resolveIntrinsics(part))).join(separator);
  }
  return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, resolveIntrinsics(v)]));
}
