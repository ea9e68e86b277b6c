/**
 * The optional GitHub Actions role (config `githubRepository`, prop `githubActions`): trusted only for
 * GitHub OIDC tokens of one repository (or some of its environments) with the audience
 * sts.amazonaws.com, allowed only what grantStart grants on this state machine, through the account's
 * existing OIDC provider when given; its ARN is a stack output; cdk-nag finds nothing unacknowledged.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../lib/config';
import { EcsAutoRollback } from '../../lib/ecs-auto-rollback';
import { ACCOUNT, REGION, RIDERAPP_CONTEXT, type Synthesized, synthesize } from './support';

const PROVIDER_ARN = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;

type Resource = { Type: string; Properties: Record<string, unknown> };
type Statement = { Action: unknown; Resource?: unknown; Effect: string; Principal?: unknown; Condition?: unknown };

function roleOf(synth: Synthesized): { id: string; role: Resource; statements: Statement[] } {
  const role = synth.stack.rollback.githubActionsRole;
  if (role === undefined) throw new Error('no GitHub Actions role');
  const id = synth.stack.getLogicalId(role.node.defaultChild as never);
  const policies = Object.values(synth.template.findResources('AWS::IAM::Policy')) as Resource[];
  const statements = policies
    .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === id))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
  return { id, role: synth.template.toJSON().Resources[id] as Resource, statements };
}

describe('githubRepository: a new OIDC provider and a role for any run of the repository', () => {
  let synth: Synthesized;

  beforeAll(() => {
    synth = synthesize({ ...RIDERAPP_CONTEXT, githubRepository: 'riderapp/riderapp-infra' });
  });

  it("creates GitHub's OIDC provider with the audience sts.amazonaws.com", () => {
    // Assess
    synth.template.resourceCountIs('AWS::IAM::OIDCProvider', 1);
    synth.template.hasResourceProperties('AWS::IAM::OIDCProvider', {
      Url: 'https://token.actions.githubusercontent.com',
      ClientIdList: ['sts.amazonaws.com'],
    });
  });

  it('lets only tokens of that repository with the sts.amazonaws.com audience assume the role', () => {
    // Act
    const { role } = roleOf(synth);
    const provider = Object.keys(synth.template.findResources('AWS::IAM::OIDCProvider'))[0];

    // Assess
    expect((role.Properties.AssumeRolePolicyDocument as { Statement: Statement[] }).Statement).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRoleWithWebIdentity',
        Principal: { Federated: { Ref: provider } },
        Condition: {
          StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' },
          StringLike: { 'token.actions.githubusercontent.com:sub': ['repo:riderapp/riderapp-infra:*'] },
        },
      },
    ]);
    expect(role.Properties.MaxSessionDuration).toBe(3600);
  });

  it('allows StartExecution and following this state machine and its executions, and nothing else', () => {
    // Act
    const { statements } = roleOf(synth);
    const stateMachine = synth.stack.getLogicalId(synth.stack.rollback.stateMachine.node.defaultChild as never);

    // Assess
    expect(statements.map((s) => s.Action)).toEqual([
      ['states:StartExecution', 'states:ListExecutions'],
      ['states:DescribeExecution', 'states:GetExecutionHistory'],
      'states:ListStateMachines',
    ]);
    expect(statements[0]?.Resource).toEqual({ Ref: stateMachine });
    expect(statements[1]?.Resource).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:states:${REGION}:${ACCOUNT}:execution:`, { 'Fn::GetAtt': [stateMachine, 'Name'] }, ':*']],
    });
    expect(statements[2]?.Resource).toBe('*');
  });

  it('puts the role ARN in the stack outputs (role-to-assume of the workflow)', () => {
    // Act
    const outputs = synth.template.findOutputs('GitHubActionsRoleArn');

    // Assess
    expect(outputs.GitHubActionsRoleArn?.Value).toEqual({ 'Fn::GetAtt': [roleOf(synth).id, 'Arn'] });
  });

  it('finds nothing unacknowledged in the AwsSolutions checks', () => {
    // Act
    const report = new AwsSolutionsChecks().validateScope(synth.app);

    // Assess
    expect(report.violations).toEqual([]);
  });
});

describe('githubOidcProviderArn and githubEnvironments', () => {
  it("uses the account's provider (creates none) and trusts only the given environments", () => {
    // Act
    const synth = synthesize({
      ...RIDERAPP_CONTEXT,
      githubRepository: 'riderapp/riderapp-infra',
      githubEnvironments: '["ecs-rollback","ecs-rollback-plan"]',
      githubOidcProviderArn: PROVIDER_ARN,
    });

    // Assess
    synth.template.resourceCountIs('AWS::IAM::OIDCProvider', 0);
    expect((roleOf(synth).role.Properties.AssumeRolePolicyDocument as { Statement: Statement[] }).Statement).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRoleWithWebIdentity',
        Principal: { Federated: PROVIDER_ARN },
        Condition: {
          StringEquals: {
            'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
            'token.actions.githubusercontent.com:sub': [
              'repo:riderapp/riderapp-infra:environment:ecs-rollback',
              'repo:riderapp/riderapp-infra:environment:ecs-rollback-plan',
            ],
          },
        },
      },
    ]);
  });

  it('creates no role, provider or output without githubRepository', () => {
    // Act
    const synth = synthesize();

    // Assess
    expect(synth.stack.rollback.githubActionsRole).toBeUndefined();
    synth.template.resourceCountIs('AWS::IAM::OIDCProvider', 0);
    expect(synth.template.findOutputs('GitHubActionsRoleArn')).toEqual({});
    expect(JSON.stringify(synth.json)).not.toContain('AssumeRoleWithWebIdentity');
  });

  it.each([
    [{ githubRepository: 'riderapp' }, 'githubRepository: expected a GitHub repository as owner/name, got "riderapp"'],
    [{ githubRepository: 'riderapp/*' }, 'githubRepository: expected a GitHub repository as owner/name, got "riderapp/*"'],
    [{ githubEnvironments: ['ecs-rollback'] }, 'githubEnvironments: only applies with githubRepository'],
    [{ githubOidcProviderArn: PROVIDER_ARN }, 'githubOidcProviderArn: only applies with githubRepository'],
    [{ githubRepository: 'riderapp/infra', githubEnvironments: ['prod:*'] }, 'githubEnvironments[0]: expected GitHub environment name (no *, ? or :)'],
    [{ githubRepository: 'riderapp/infra', githubEnvironments: [] }, 'githubEnvironments: expected a non-empty array'],
    [
      { githubRepository: 'riderapp/infra', githubOidcProviderArn: `arn:aws:iam::${ACCOUNT}:oidc-provider/gitlab.com` },
      'githubOidcProviderArn: expected the ARN of the oidc-provider/token.actions.githubusercontent.com',
    ],
  ])('rejects %j, naming the field', (extra: Record<string, unknown>, message) => {
    // Act
    const context: Record<string, unknown> = { project: 'riderapp', ...extra };
    const act = (): unknown => loadConfig((key) => context[key]);

    // Assess
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(message);
  });
});

describe('EcsAutoRollback githubActions prop', () => {
  it('trusts an existing provider given as a CDK reference', () => {
    // Prepare
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Shop', { env: { account: ACCOUNT, region: 'eu-west-1' } });
    const oidcProvider = iam.OidcProviderNative.fromOidcProviderArn(stack, 'GitHub', PROVIDER_ARN);

    // Act
    const rollback = new EcsAutoRollback(stack, 'Rollback', {
      project: 'shop',
      services: [{ cluster: 'shop', serviceName: 'web' }],
      githubActions: { repository: 'shop/infra', oidcProvider },
    });

    // Assess
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::IAM::OIDCProvider', 0);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRoleWithWebIdentity',
            Principal: { Federated: PROVIDER_ARN },
            Condition: { StringLike: { 'token.actions.githubusercontent.com:sub': ['repo:shop/infra:*'] } },
          },
        ],
      },
    });
    expect(new AwsSolutionsChecks().validateScope(rollback).violations).toEqual([]);
  });

  it('rejects a repository that is not owner/name, naming the prop', () => {
    // Prepare
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Shop');

    // Act
    const act = (): unknown =>
      new EcsAutoRollback(stack, 'Rollback', { project: 'shop', services: [{ cluster: 'shop', serviceName: 'web' }], githubActions: { repository: 'shop' } });

    // Assess
    expect(act).toThrow('githubActions.repository: expected a GitHub repository as owner/name, got "shop"');
  });
});
