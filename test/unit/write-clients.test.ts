import { describe, expect, it } from 'vitest';
import { ecsClient, ecsWriteClient, snsClient } from '../../lambdas/aws/clients';

describe('SDK retries and side effects', () => {
  it.each([
    ['UpdateService and RegisterTaskDefinition (ECS writes)', ecsWriteClient],
    ['SNS Publish', snsClient],
  ])('makes one attempt per call for %s, so a lost answer is not repeated by the SDK', async (_calls, client) => {
    // Act
    const attempts = await client().config.maxAttempts();

    // Assess
    expect(attempts).toBe(1);
  });

  it('keeps the SDK retries for ECS reads', async () => {
    // Act / Assess
    expect(await ecsClient().config.maxAttempts()).toBeGreaterThan(1);
  });
});
