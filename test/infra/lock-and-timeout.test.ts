import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, probeBudgetSeconds } from '../../lib/config';
import { executionTimeout } from '../../lib/execution-budget';
import { RollbackStack } from '../../lib/rollback-stack';
import { RIDERAPP_CONTEXT, type Synthesized, synthesize } from './support';

let synth: Synthesized;

beforeAll(() => {
  synth = synthesize();
}, 180_000);

type Resource = { Type: string; Properties: Record<string, unknown> };

const stateMachine = (): Resource =>
  Object.values(synth.json.Resources).find((r) => r.Type === 'AWS::StepFunctions::StateMachine') as Resource;

const deployedDefinition = (): { TimeoutSeconds?: number; States: Record<string, unknown> } => {
  const location = stateMachine().Properties.DefinitionS3Location as { Key: string };
  return JSON.parse(readFileSync(join(synth.outdir, `asset.${location.Key}`), 'utf8'));
};

const riderappConfig = () => loadConfig((key) => RIDERAPP_CONTEXT[key]);

describe('the state machine timeout and the lock TTL', () => {
  it('gives the state machine an overall TimeoutSeconds that covers stabilisation, the probe and every retry', () => {
    // Prepare
    const config = riderappConfig();
    const expected = executionTimeout({
      stabilizationTimeoutSeconds: config.stabilizationTimeoutMinutes * 60,
      pollIntervalSeconds: config.pollIntervalSeconds,
      probeBudgetSeconds: probeBudgetSeconds(config.probe),
    });

    // Act
    const definition = deployedDefinition();

    // Assess
    expect(definition.TimeoutSeconds).toBe(expected.timeoutSeconds);
    expect(definition.TimeoutSeconds).toBeGreaterThanOrEqual(expected.budget.requiredSeconds);
    expect(expected.budget.requiredSeconds).toBeGreaterThan(config.stabilizationTimeoutMinutes * 60 + probeBudgetSeconds(config.probe));
    expect(config.lockTtlSeconds).toBeGreaterThanOrEqual(definition.TimeoutSeconds as number);
  });

  it('fails the synth naming the figures when the lock TTL is shorter than the state machine timeout', () => {
    // Prepare
    const config = { ...riderappConfig(), lockTtlSeconds: 600 };
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });

    // Act
    const build = () => new RollbackStack(app, 'riderapp-ecs-auto-rollback', { config, env: { account: '111122223333', region: 'us-east-1' } });

    // Assess
    expect(build).toThrow(/lockTtlSeconds.*600/);
  });

  it('rejects a configured lock TTL shorter than an execution can take, naming the field', () => {
    // Act
    const load = () => loadConfig((key) => ({ ...RIDERAPP_CONTEXT, lockTtlSeconds: '3600' })[key]);

    // Assess
    expect(load).toThrow(/lockTtlSeconds/);
  });
});

describe('the lock never outlives its holder', () => {
  it('frees the lock of an execution that was stopped, timed out or failed, through ReleaseLock, with retries and the DLQ', () => {
    // Assess
    synth.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: {
          stateMachineArn: [{ Ref: Match.stringLikeRegexp('StateMachine') }],
          status: ['ABORTED', 'TIMED_OUT', 'FAILED'],
        },
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ReleaseLock'), 'Arn'] },
          DeadLetterConfig: Match.objectLike({ Arn: Match.anyValue() }),
          RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 10 }),
        }),
      ],
    });
  });

  it("builds Prepare's DescribeExecution resource from the state machine's name, without referencing it (no cycle)", () => {
    // Prepare
    const policies = Object.entries(synth.json.Resources).filter(
      ([id, r]) => r.Type === 'AWS::IAM::Policy' && id.includes('Prepare'),
    ) as [string, Resource][];

    // Act
    const statements = policies.flatMap(
      ([, p]) => (p.Properties.PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] }).Statement,
    );
    const describe = statements.filter((s) => [s.Action].flat().includes('states:DescribeExecution'));

    // Assess
    expect(describe).toHaveLength(1);
    const text = JSON.stringify(describe[0]?.Resource);
    expect(text).toContain(':execution:riderapp-ecs-auto-rollback:*');
    expect(text).not.toMatch(/StateMachine/);
  });
});
