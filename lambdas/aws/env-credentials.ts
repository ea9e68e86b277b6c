/**
 * Credentials from the environment only, as Lambda provides them (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN). The bundles alias @aws-sdk/credential-provider-node
 * to this module (lib/constructs/functions.ts BUNDLING), so the default provider chain (SSO, INI,
 * process, IMDS, HTTP, login and the nested STS/SSO clients) stays out of every function.
 */

/** The credentials an SDK v3 client signs with. */
export interface EnvCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
  readonly accountId?: string;
}

/** The error an SDK client reports when the environment holds no credentials. */
export class MissingEnvCredentialsError extends Error {
  public override readonly name = 'CredentialsProviderError' as const;
}

/** Reads the credentials from `env` now; throws when the key id or the secret is missing. */
export function readEnvCredentials(env: Readonly<Record<string, string | undefined>> = process.env): EnvCredentials {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new MissingEnvCredentialsError('Unable to find environment variable credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set.');
  }
  const sessionToken = env.AWS_SESSION_TOKEN;
  const expiration = env.AWS_CREDENTIAL_EXPIRATION;
  const accountId = env.AWS_ACCOUNT_ID;
  return {
    accessKeyId,
    secretAccessKey,
    ...(sessionToken ? { sessionToken } : {}),
    ...(expiration ? { expiration: new Date(expiration) } : {}),
    ...(accountId ? { accountId } : {}),
  };
}

/** A credential provider reading the environment on every call. */
export function fromEnvironment(): () => Promise<EnvCredentials> {
  return async () => readEnvCredentials();
}

/** Drop-in for @aws-sdk/credential-provider-node's `defaultProvider` (what each client's runtime config imports). */
export const defaultProvider = (_init?: unknown): (() => Promise<EnvCredentials>) => fromEnvironment();
