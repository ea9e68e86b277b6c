import { ECSClient, ListClustersCommand } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import {
  defaultProvider,
  MissingEnvCredentialsError,
  readEnvCredentials,
} from '../../lambdas/aws/env-credentials';

describe('env-credentials (what the bundles use instead of the default provider chain)', () => {
  it('reads the Lambda runtime credentials, session token included', () => {
    // Act
    const credentials = readEnvCredentials({
      AWS_ACCESS_KEY_ID: 'ASIAEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'token',
    });

    // Assess
    expect(credentials).toEqual({ accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' });
  });

  it.each([
    ['no key id', { AWS_SECRET_ACCESS_KEY: 'secret' }],
    ['no secret', { AWS_ACCESS_KEY_ID: 'ASIAEXAMPLE' }],
    ['an empty key id', { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: 'secret' }],
  ])('fails as the SDK expects (CredentialsProviderError) with %s', (_case, env) => {
    expect(() => readEnvCredentials(env)).toThrow(MissingEnvCredentialsError);
    expect(() => readEnvCredentials(env)).toThrow(/AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
  });

  it('reads the environment when the SDK asks, not when the provider is made', async () => {
    // Prepare
    const provider = defaultProvider({});
    const before = process.env.AWS_ACCESS_KEY_ID;
    process.env.AWS_ACCESS_KEY_ID = 'ROTATED';

    try {
      // Act
      const credentials = await provider();

      // Assess
      expect(credentials.accessKeyId).toBe('ROTATED');
    } finally {
      process.env.AWS_ACCESS_KEY_ID = before;
    }
  });

  it('signs an SDK v3 client request when given as its credential provider', async () => {
    // Prepare
    let authorization: string | undefined;
    const client = new ECSClient({
      region: 'us-east-1',
      credentials: defaultProvider(),
      endpoint: 'http://127.0.0.1:9',
      maxAttempts: 1,
    });
    client.middlewareStack.add(
      () => async (args) => {
        authorization = (args.request as { headers: Record<string, string> }).headers.authorization;
        throw new Error('stop before sending');
      },
      { step: 'finalizeRequest', priority: 'low', name: 'captureAuthorization' },
    );

    // Act
    await expect(client.send(new ListClustersCommand({}))).rejects.toThrow('stop before sending');

    // Assess
    expect(authorization).toContain(`Credential=${process.env.AWS_ACCESS_KEY_ID}/`);
  });
});
