import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthContext } from '../../bench/synth-context';
import { addRollbackStack } from '../../lib/app';
import { loadConfig } from '../../lib/config';
import { AWS_LIMITS, measureStack, templateOf } from '../../lib/limits';
import type { RollbackStack } from '../../lib/rollback-stack';
import { matchesEventPattern } from '../helpers/event-pattern';
import { resolveIntrinsics } from './support';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'events');
const fixture = (name: string): Record<string, unknown> => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));

/** The riderapp project with N services (bench/synth-context.ts), built as bin/app.ts builds it. */
function build(services: number): RollbackStack {
  const context = synthContext(services);
  const app = new App({ context: { ...context, 'aws:cdk:bundling-stacks': [] } });
  return addRollbackStack(app, loadConfig((key) => context[key]));
}

/** The resolved event patterns of the stack's rules, by construct path. */
function rulePatterns(stack: RollbackStack, prefix: string): unknown[] {
  return [
    ...(prefix === 'DeploymentFailed' ? stack.triggers.deploymentFailedRules : stack.triggers.alarmRules),
  ].map((rule) => {
    const resources = templateOf(stack).Resources ?? {};
    const id = stack.resolve((rule.node.defaultChild as unknown as { logicalId: string }).logicalId) as string;
    return resolveIntrinsics(resources[id]?.Properties?.EventPattern);
  });
}

const failedEventOf = (service: string) => ({
  ...fixture('ecs-deployment-failed.json'),
  resources: [`arn:aws:ecs:us-east-1:111122223333:service/riderapp-cluster/${service}`],
});
const alarmEventOf = (alarmName: string) => {
  const event = fixture('cloudwatch-alarm-state-change.json');
  return { ...event, detail: { ...(event.detail as Record<string, unknown>), alarmName } };
};

describe.each([1, 50, 200])('the riderapp project with %i services', (count) => {
  let stack: RollbackStack;

  beforeAll(() => {
    stack = build(count);
  });

  it('stays within every AWS limit of the table', () => {
    // Act
    const over = measureStack(stack).filter((m) => m.size > AWS_LIMITS[m.limit].max);

    // Assess
    expect(over).toEqual([]);
  });

  it('starts a rollback on the last service\'s SERVICE_DEPLOYMENT_FAILED and its alarm, through exactly one rule each', () => {
    // Prepare
    const last = count === 1 ? 'riderapp-service' : `riderapp-svc-${count}`;
    const alarm = count === 1 ? 'riderapp-unhealthy-hosts' : `riderapp-svc-${count}-unhealthy-hosts`;

    // Act
    const failureRules = rulePatterns(stack, 'DeploymentFailed').filter((p) => matchesEventPattern(p, failedEventOf(last)));
    const alarmRules = rulePatterns(stack, 'AlarmStateChange').filter((p) => matchesEventPattern(p, alarmEventOf(alarm)));

    // Assess
    expect(failureRules).toHaveLength(1);
    expect(alarmRules).toHaveLength(1);
  });

  it('starts nothing for an unconfigured service in the watched cluster, or for its alarm', () => {
    // Act
    const failureRules = rulePatterns(stack, 'DeploymentFailed').filter((p) => matchesEventPattern(p, failedEventOf(`riderapp-svc-${count + 1}`)));
    const suffixRules = rulePatterns(stack, 'DeploymentFailed').filter((p) => matchesEventPattern(p, failedEventOf(`x${count === 1 ? 'riderapp-service' : `riderapp-svc-${count}`}`)));
    const alarmRules = rulePatterns(stack, 'AlarmStateChange').filter((p) => matchesEventPattern(p, alarmEventOf(`riderapp-svc-${count + 1}-unhealthy-hosts`)));

    // Assess
    expect(failureRules).toEqual([]);
    expect(suffixRules).toEqual([]);
    expect(alarmRules).toEqual([]);
  });
});

describe('the number of rules', () => {
  it.each([
    [1, 1, 1],
    [50, 2, 1],
    [200, 7, 4],
  ])('is a handful for %i services: %i deployment-failure and %i alarm rules', (count, failureRules, alarmRules) => {
    // Act
    const stack = build(count);

    // Assess
    expect(stack.triggers.deploymentFailedRules).toHaveLength(failureRules);
    expect(stack.triggers.alarmRules).toHaveLength(alarmRules);
  });
});
