import { ecsClient, elbv2Client } from '../aws/clients';
import { serviceDeploymentStatus } from '../aws/ecs-native-rollback';
import { logger, withLogging } from '../shared/logger';
import type { RollbackState, StabilityResult } from '../shared/types';
import { type CheckStabilityDeps, checkStability, narrowCheckStabilityInput } from './check';

/** The handler's clients and clock; tests and later steps may replace them. */
export const deps: CheckStabilityDeps = {
  ecs: ecsClient,
  elbv2: elbv2Client,
  now: () => new Date(),
  serviceDeploymentStatus: (arn) => serviceDeploymentStatus(arn, ecsClient()),
};

/** CheckStability task: one look at the followed deployment → $.stability. */
export const handler = withLogging(async (event: RollbackState): Promise<StabilityResult> => {
  const input = narrowCheckStabilityInput(event);
  const result = await checkStability(input, deps);
  logger.info('stability checked', { stability: result });
  return result;
});
