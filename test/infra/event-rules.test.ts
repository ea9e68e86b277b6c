import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CfnElement } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { matchesEventPattern } from '../helpers/event-pattern';
import { resolveIntrinsics, type Synthesized, synthesize } from './support';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'events');
const fixture = (name: string): Record<string, unknown> => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));

let synth: Synthesized;
let deploymentFailedPattern: unknown;
let alarmPattern: unknown;

beforeAll(() => {
  synth = synthesize();
  const patternOf = (path: string): unknown => {
    const construct = synth.stack.node.findAll().find((c) => c.node.path === `${synth.stack.stackName}/Default/${path}`);
    if (!(construct instanceof CfnElement)) throw new Error(`no rule at ${path}`);
    const rule = synth.json.Resources[synth.stack.getLogicalId(construct)] as unknown as { Properties: { EventPattern: unknown } };
    return resolveIntrinsics(rule.Properties.EventPattern);
  };
  deploymentFailedPattern = patternOf('Triggers/DeploymentFailed/Resource');
  alarmPattern = patternOf('Triggers/AlarmStateChange/Resource');
});

describe('the deployment-failure rule', () => {
  it('matches the AWS sample SERVICE_DEPLOYMENT_FAILED event of riderapp-service', () => {
    // Prepare
    const event = fixture('ecs-deployment-failed.json');

    // Act
    const matched = matchesEventPattern(deploymentFailedPattern, event);

    // Assess
    expect(matched).toBe(true);
  });

  it.each(['ecs-deployment-completed.json', 'ecs-deployment-in-progress.json', 'ecs-deployment-rollback-in-progress.json'])(
    'does not match %s',
    (name) => {
      // Prepare
      const event = fixture(name);

      // Act
      const matched = matchesEventPattern(deploymentFailedPattern, event);

      // Assess
      expect(matched).toBe(false);
    },
  );

  it('does not match a failed deployment of a service it does not watch', () => {
    // Prepare
    const event = {
      ...fixture('ecs-deployment-failed.json'),
      resources: ['arn:aws:ecs:us-east-1:111122223333:service/riderapp-cluster/billing-service'],
    };

    // Act
    const matched = matchesEventPattern(deploymentFailedPattern, event);

    // Assess
    expect(matched).toBe(false);
  });
});

describe('the alarm rule', () => {
  it('matches the ALARM state change of riderapp-unhealthy-hosts', () => {
    // Prepare
    const event = fixture('cloudwatch-alarm-state-change.json');

    // Act
    const matched = matchesEventPattern(alarmPattern, event);

    // Assess
    expect(matched).toBe(true);
  });

  it('matches the ALARM state change of the extra alarm riderapp-5xx-errors', () => {
    // Prepare
    const sample = fixture('cloudwatch-alarm-state-change.json') as { detail: Record<string, unknown> };
    const event = { ...sample, detail: { ...sample.detail, alarmName: 'riderapp-5xx-errors' } };

    // Act
    const matched = matchesEventPattern(alarmPattern, event);

    // Assess
    expect(matched).toBe(true);
  });

  it('does not match the same alarm returning to OK', () => {
    // Prepare
    const sample = fixture('cloudwatch-alarm-state-change.json') as { detail: Record<string, { value?: string }> };
    const event = {
      ...sample,
      detail: {
        ...sample.detail,
        previousState: { ...sample.detail.previousState, value: 'ALARM' },
        state: { ...sample.detail.state, value: 'OK' },
      },
    };

    // Act
    const matched = matchesEventPattern(alarmPattern, event);

    // Assess
    expect(matched).toBe(false);
  });

  it('does not match ALARM of an alarm nobody configured', () => {
    // Prepare
    const sample = fixture('cloudwatch-alarm-state-change.json') as { detail: Record<string, unknown> };
    const event = { ...sample, detail: { ...sample.detail, alarmName: 'billing-cpu-high' } };

    // Act
    const matched = matchesEventPattern(alarmPattern, event);

    // Assess
    expect(matched).toBe(false);
  });
});
