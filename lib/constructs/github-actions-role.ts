/**
 * The optional IAM role GitHub Actions assumes through GitHub's OIDC provider to start and follow
 * manual rollbacks (`.github/workflows/rollback.yml`, `aws-actions/configure-aws-credentials`):
 * trusted only for tokens of one repository (optionally of some of its environments) with the
 * audience `sts.amazonaws.com`, and allowed only what `grantStart` grants.
 * https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/configuring-openid-connect-in-amazon-web-services
 */
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { ConfigError, GITHUB_ENVIRONMENT_PATTERN, GITHUB_REPOSITORY_PATTERN } from '../config';

/** GitHub's OIDC issuer (github.com); an account has at most one IAM provider per issuer URL. */
export const GITHUB_OIDC_URL = 'https://token.actions.githubusercontent.com';
/** The prefix of GitHub's token claims in IAM condition keys. */
export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';
/** The audience `aws-actions/configure-aws-credentials` requests. */
export const GITHUB_OIDC_AUDIENCE = 'sts.amazonaws.com';

/** Who may assume the GitHub Actions role. */
export interface GitHubActionsOptions {
  /** The repository (`owner/name`) whose workflows may assume the role. */
  readonly repository: string;
  /**
   * Only jobs that run in one of these GitHub environments (the token's `sub` is
   * `repo:<owner>/<name>:environment:<environment>`), e.g. `['ecs-rollback', 'ecs-rollback-plan']`
   * as the workflow uses; give the environment required reviewers so a rollback waits for approval.
   * @default - every workflow run of the repository (`sub` like `repo:<owner>/<name>:*`)
   */
  readonly environments?: readonly string[];
  /**
   * The account's existing IAM OIDC provider for `https://token.actions.githubusercontent.com`
   * (an account can have only one per URL), e.g. `iam.OidcProviderNative.fromOidcProviderArn(...)`.
   * @default - a new provider for GitHub, audience `sts.amazonaws.com`
   */
  readonly oidcProvider?: iam.IOidcProvider | iam.IOpenIdConnectProvider;
}

const isToken = (text: string): boolean => text.includes('${Token[');

/** Checks the repository and environments (text; tokens pass); a ConfigError names `field.<key>`. */
export function checkGitHubActions(field: string, options: GitHubActionsOptions): GitHubActionsOptions {
  if (typeof options.repository !== 'string' || (!isToken(options.repository) && !GITHUB_REPOSITORY_PATTERN.test(options.repository))) {
    throw new ConfigError(`${field}.repository`, `expected a GitHub repository as owner/name, got ${JSON.stringify(options.repository)}`);
  }
  if (options.environments !== undefined) {
    if (!Array.isArray(options.environments) || options.environments.length === 0) {
      throw new ConfigError(`${field}.environments`, `expected a non-empty array of GitHub environment names, got ${JSON.stringify(options.environments)}`);
    }
    options.environments.forEach((name, index) => {
      if (typeof name !== 'string' || (!isToken(name) && !GITHUB_ENVIRONMENT_PATTERN.test(name))) {
        throw new ConfigError(`${field}.environments[${index}]`, `expected a GitHub environment name (no *, ? or :), got ${JSON.stringify(name)}`);
      }
    });
  }
  return options;
}

/** The token subjects the role trusts: the repository's environments, or any run of the repository. */
export function githubSubjects(options: Pick<GitHubActionsOptions, 'repository' | 'environments'>): string[] {
  if (options.environments === undefined) return [`repo:${options.repository}:*`];
  return options.environments.map((environment) => `repo:${options.repository}:environment:${environment}`);
}

/** Props of {@link GitHubActionsRole}. */
export interface GitHubActionsRoleProps extends GitHubActionsOptions {
  /** The role's description. */
  readonly description: string;
}

/** An IAM role for GitHub Actions through GitHub's OIDC provider (the given one, or a new one). */
export class GitHubActionsRole extends Construct {
  /** The role (its ARN is what `role-to-assume` takes). */
  public readonly role: iam.Role;
  /** The OIDC provider the role trusts. */
  public readonly oidcProviderArn: string;

  public constructor(scope: Construct, id: string, props: GitHubActionsRoleProps) {
    super(scope, id);
    this.oidcProviderArn =
      props.oidcProvider?.openIdConnectProviderArn ??
      new iam.OidcProviderNative(this, 'Provider', { url: GITHUB_OIDC_URL, clientIds: [GITHUB_OIDC_AUDIENCE] }).oidcProviderArn;
    const subjects = githubSubjects(props);
    this.role = new iam.Role(this, 'Role', {
      description: props.description,
      maxSessionDuration: Duration.hours(1),
      assumedBy: new iam.WebIdentityPrincipal(this.oidcProviderArn, {
        StringEquals: {
          [`${GITHUB_OIDC_HOST}:aud`]: GITHUB_OIDC_AUDIENCE,
          ...(props.environments !== undefined && { [`${GITHUB_OIDC_HOST}:sub`]: subjects }),
        },
        ...(props.environments === undefined && { StringLike: { [`${GITHUB_OIDC_HOST}:sub`]: subjects } }),
      }),
    });
  }
}
