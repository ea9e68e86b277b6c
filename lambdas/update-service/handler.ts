import { ecsClient, ecsWriteClient } from '../aws/clients';
import { findInFlightServiceDeployment, stopServiceDeploymentWithRollback } from '../aws/ecs-native-rollback';
import { recordRollbackDeployment } from '../aws/state-table';
import { once, readStateTableName } from '../shared/config';
import { logger, withLogging } from '../shared/logger';
import type { DeploymentRef, RollbackState } from '../shared/types';
import { narrowUpdateServiceInput, startRollbackDeployment, type UpdateServiceDeps } from './deploy';

/**
 * The handler's client, state table name (env STATE_TABLE_NAME, read once) and loop guard record;
 * tests may replace them. The ECS client makes one attempt per call: the SDK must not repeat
 * UpdateService after a lost answer (the Task retries, and checks first).
 */
export const deps: UpdateServiceDeps = {
  ecs: ecsWriteClient,
  stateTableName: once(() => readStateTableName(process.env)),
  recordRollbackDeployment,
  findInFlight: (cluster, service) => findInFlightServiceDeployment(cluster, service, ecsClient()),
  stopServiceDeployment: (arn) => stopServiceDeploymentWithRollback(arn, ecsWriteClient()),
};

/** UpdateService task: deploy $.registration (once, even when retried), record it for the loop guard → $.deployment. */
export const handler = withLogging(async (event: RollbackState): Promise<DeploymentRef> => {
  const input = narrowUpdateServiceInput(event);
  const deployment = await startRollbackDeployment(input, deps);
  logger.info('rollback deployment started', { deployment });
  return deployment;
});
