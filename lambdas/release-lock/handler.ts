import { describeService } from '../aws/ecs-service';
import { createNotificationLog } from '../aws/notification-log';
import { createStateTable } from '../aws/state-table';
import { once, readReleaseLockConfig } from '../shared/config';
import { logger, withLogging } from '../shared/logger';
import type { RollbackState } from '../shared/types';
import { isExecutionStatusChange, type LockReleaseResult, releaseLock, releaseLockOfEndedExecution } from './release';

const setup = once(() => {
  const config = readReleaseLockConfig(process.env);
  return {
    config,
    stateTable: createStateTable({ tableName: config.stateTableName }),
    notifications: createNotificationLog({ tableName: config.stateTableName }),
  };
});

/**
 * ReleaseLock: frees this execution's lock and starts the cool-down after its rollback
 * (`$.lockRelease`); also the target of the rule on executions that were stopped, timed out or failed.
 */
export const handler = withLogging(async (event: RollbackState | unknown): Promise<LockReleaseResult> => {
  const { config, stateTable, notifications } = setup();
  if (isExecutionStatusChange(event)) {
    const result = await releaseLockOfEndedExecution(event, { stateTable });
    logger.info('Lock of an ended execution', { execution: event.detail.executionArn, status: event.detail.status, ...result });
    return result;
  }
  const result = await releaseLock((event ?? {}) as RollbackState, {
    stateTable,
    cooldownMinutes: config.cooldownMinutes,
    notificationPublished: (executionId) => notifications.anyPublished(executionId),
    serviceDeployments: async (cluster, service) => {
      const lookup = await describeService(cluster, service);
      return lookup.found ? (lookup.service.deployments ?? []) : [];
    },
  });
  logger.info('Lock released', { ...result });
  return result;
});
