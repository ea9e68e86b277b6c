import { executionStatus } from '../aws/executions';
import { createTriggerClaims } from '../aws/idempotency';
import { describeServiceFacts } from '../aws/service-facts';
import { readServicesConfigItem } from '../aws/services-config';
import { createStateTable } from '../aws/state-table';
import { onceAsync, readStateTableName } from '../shared/config';
import { readPrepareConfig } from './config';
import { addStateContext, logger, withLogging } from '../shared/logger';
import type { RollbackRequest, RollbackState } from '../shared/types';
import { prepare } from './prepare';

const setup = onceAsync(async () => {
  const config = readPrepareConfig(process.env, await readServicesConfigItem(readStateTableName(process.env)));
  return {
    config,
    stateTable: createStateTable({ tableName: config.stateTableName }),
    claims: createTriggerClaims({ tableName: config.stateTableName }),
    defaultRegion: process.env.AWS_REGION ?? 'us-east-1',
  };
});

/** Prepare: the execution's input → RollbackRequest at `$.request` (rollback, skip or watch). */
export const handler = withLogging(async (event: RollbackState): Promise<RollbackRequest> => {
  const { config, stateTable, claims, defaultRegion } = await setup();
  const request = await prepare(event, {
    config,
    stateTable,
    claimTrigger: (triggerId, executionId) => claims.claimTrigger(triggerId, executionId),
    releaseClaim: (triggerId, executionId) => claims.releaseClaim(triggerId, executionId),
    describeService: (cluster, service) => describeServiceFacts(cluster, service),
    executionStatus: (executionArn) => executionStatus(executionArn),
    defaultRegion,
  });
  addStateContext({ request });
  logger.info('Prepared', {
    trigger: request.trigger.id,
    action: request.action,
    actionReason: request.actionReason,
    lockHeld: request.lockHeld,
  });
  return request;
});
