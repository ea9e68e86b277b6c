import { Metrics } from '@aws-lambda-powertools/metrics';
import { snsClient } from '../aws/clients';
import { createNotificationLog } from '../aws/notification-log';
import { findDatabaseSnapshots } from '../aws/rds-snapshots';
import { logger, withLogging } from '../shared/logger';
import { METRICS_NAMESPACE } from '../shared/metrics';
import type { NotificationResult, NotifyInput } from '../shared/types';
import { type NotifyDeps, type NotifySettings, narrowNotifyInput, notify, readNotifySettings } from './notify';

const settings: NotifySettings = readNotifySettings(process.env);

/** The handler's client, RDS look-up, metrics and clock; tests may replace them. */
export const deps: NotifyDeps = {
  sns: snsClient,
  findDatabases: (project, before) => findDatabaseSnapshots(project, before),
  metrics: new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE }),
  now: () => new Date(),
  ...(process.env.STATE_TABLE_NAME ? { notificationLog: createNotificationLog({ tableName: process.env.STATE_TABLE_NAME }) } : {}),
};

/** Notify task: publish the outcome to SNS → $.notification. */
export const handler = withLogging(async (event: NotifyInput): Promise<NotificationResult> => {
  const input = narrowNotifyInput(event);
  try {
    const result = await notify(input, settings, deps);
    logger.info('notification sent', { notification: result });
    return result;
  } finally {
    if (deps.metrics.hasStoredMetrics()) deps.metrics.publishStoredMetrics();
  }
});
