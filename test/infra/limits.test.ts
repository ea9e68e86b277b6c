import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { synthContext } from '../../bench/synth-context';
import { addRollbackStack } from '../../lib/app';
import { loadConfig } from '../../lib/config';
import { AWS_LIMITS, checkTemplate, LONGEST, measureStack, measureTemplate, type TemplateJson } from '../../lib/limits';
import { RollbackStack } from '../../lib/rollback-stack';

/** The app as bin/app.ts builds it (bundling skipped), without synthesizing. */
function build(context: Record<string, unknown>): App {
  const app = new App({ context: { ...context, 'aws:cdk:bundling-stacks': [] } });
  addRollbackStack(app, loadConfig((key) => context[key]));
  return app;
}

/** riderapp with N services, account and Region left to CloudFormation (an environment-agnostic stack). */
function agnostic(services: number): Record<string, unknown> {
  const { account: _account, region: _region, ...context } = synthContext(services);
  return context;
}

describe('the AWS limits table', () => {
  it.each(Object.entries(AWS_LIMITS))('%s names its source', (_, limit) => {
    expect(limit.source).toMatch(/^https:\/\/(docs\.aws\.amazon\.com|repost\.aws)\//);
    expect(limit.max).toBeGreaterThan(0);
  });
});

describe('measuring a template with tokens at their longest values', () => {
  const template: TemplateJson = {
    Resources: {
      Table: { Type: 'AWS::DynamoDB::Table', Properties: {} },
      Fn: {
        Type: 'AWS::Lambda::Function',
        Properties: {
          Description: 'd',
          Environment: {
            Variables: {
              TABLE: { Ref: 'Table' },
              ARN: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ecs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':service/c/s']] },
            },
          },
        },
      },
      Role: { Type: 'AWS::IAM::Role', Properties: {} },
      Policy: {
        Type: 'AWS::IAM::Policy',
        Properties: {
          Roles: [{ Ref: 'Role' }],
          PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: { 'Fn::GetAtt': ['Table', 'Arn'] } }] },
        },
      },
    },
  };

  it('counts a generated table name at 255 characters and the pseudo parameters at the longest partition, Region and account', () => {
    // Act
    const sizes = measureTemplate(template);

    // Assess
    const env = sizes.find((m) => m.limit === 'lambdaEnvironment');
    const arn = `arn:${LONGEST.partition}:ecs:${LONGEST.region}:${LONGEST.accountId}:service/c/s`;
    expect(env?.size).toBe('TABLE'.length + 255 + 'ARN'.length + arn.length);
    const inline = sizes.find((m) => m.limit === 'roleInlinePolicies');
    const tableArn = `arn:${LONGEST.partition}:dynamodb:${LONGEST.region}:${LONGEST.accountId}:table/${'x'.repeat(255)}`;
    expect(inline?.size).toBe(
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: tableArn }] }).length,
    );
  });

  it('reports nothing for a template within every limit', () => {
    expect(checkTemplate(template)).toEqual([]);
  });

  it('names the limit, the resource, the measured size and the source when one is exceeded', () => {
    // Prepare
    const big: TemplateJson = {
      Resources: { Fn: { Type: 'AWS::Lambda::Function', Properties: { Environment: { Variables: { BIG: 'x'.repeat(4094) } } } } },
    };

    // Act
    const [violation, ...rest] = checkTemplate(big);

    // Assess
    expect(rest).toEqual([]);
    expect(violation?.limit).toBe('lambdaEnvironment');
    expect(violation?.size).toBe(4097);
    expect(violation?.message).toContain('Lambda environment variables');
    expect(violation?.message).toContain('at most 4096 bytes');
    expect(violation?.message).toContain('Fn measures 4097');
    expect(violation?.message).toContain(AWS_LIMITS.lambdaEnvironment.source);
  });
});

describe('the synth-time limits check', () => {
  it('keeps Prepare\'s environment small at 20 environment-agnostic services: the services live in the state table', () => {
    // Prepare
    const app = build(agnostic(20));
    const stack = app.node.children.find((c): c is RollbackStack => c instanceof RollbackStack) as RollbackStack;

    // Act
    const prepare = measureStack(stack).find((m) => m.limit === 'lambdaEnvironment' && m.resource.endsWith('/Tasks/Prepare/Resource'));

    // Assess
    expect(prepare?.size).toBeLessThan(1024);
  });

  it('fails the synth naming the DynamoDB item limit when the services configuration passes 400 KB', () => {
    // Prepare
    const context = synthContext(100);
    const services = (context.services as Record<string, unknown>[]).map((service, i) => ({
      ...service,
      alarmNames: Array.from({ length: 17 }, (_, a) => `${String(i).padStart(3, '0')}-${String(a).padStart(2, '0')}-${'x'.repeat(243)}`),
    }));
    const app = build({ ...context, services });

    // Act
    const synth = () => app.synth();

    // Assess
    expect(synth).toThrow(/AWS limit exceeded: DynamoDB item is at most 409600 bytes .* riderapp-ecs-auto-rollback\/Default\/ServicesConfig\/Writer\/Resource\/Default measures \d{6}/);
  });
});
