import { ecsClient } from '../aws/clients';
import { addStateContext, logger } from '../shared/logger';
import type { DeploymentRef, RollbackState } from '../shared/types';
import { narrowUpdateServiceInput, startRollbackDeployment, type UpdateServiceDeps } from './deploy';

/** The handler's clients; later steps add collaborators here (e.g. recording the deployment id). */
export const deps: UpdateServiceDeps = { ecs: ecsClient };

/** UpdateService task: deploy $.registration (once, even when retried) → $.deployment. */
export const handler = async (event: RollbackState): Promise<DeploymentRef> => {
  addStateContext(event ?? {});
  const input = narrowUpdateServiceInput(event);
  const deployment = await startRollbackDeployment(input, deps);
  logger.info('rollback deployment started', { deployment });
  return deployment;
};
