import { Metrics } from '@aws-lambda-powertools/metrics';
import { snsClient } from '../aws/clients';
import { createDigestTable } from '../aws/digest-table';
import { createNotificationLog } from '../aws/notification-log';
import { findDatabaseSnapshots } from '../aws/rds-snapshots';
import { logger, withLogging } from '../shared/logger';
import { METRICS_NAMESPACE } from '../shared/metrics';
import type { DigestResult, NotificationResult, NotifyInput, RollbackState } from '../shared/types';
import { type NotifyDeps, type NotifySettings, narrowNotifyInput, notify, readNotifySettings, sendDigest } from './notify';

const settings: NotifySettings = readNotifySettings(process.env);

/** The handler's client, RDS look-up, metrics and clock; tests may replace them. */
export const deps: NotifyDeps = {
  sns: snsClient,
  findDatabases: (project, before) => findDatabaseSnapshots(project, before),
  metrics: new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE }),
  now: () => new Date(),
  ...(process.env.STATE_TABLE_NAME
    ? {
        notificationLog: createNotificationLog({ tableName: process.env.STATE_TABLE_NAME }),
        digests: createDigestTable({ tableName: process.env.STATE_TABLE_NAME }),
      }
    : {}),
};

/** Notify task: publish the outcome to SNS → $.notification; SendDigest (`kind: "digest"`): the window's digest → $.digest. */
export const handler = withLogging(async (event: NotifyInput | { kind: 'digest'; state: RollbackState }): Promise<NotificationResult | DigestResult> => {
  if ((event as { kind?: unknown } | null)?.kind === 'digest') {
    const result = await sendDigest((event as { state: RollbackState }).state ?? ({} as RollbackState), settings, deps);
    logger.info(result.sent ? 'digest sent' : 'digest already sent by another execution', { digest: result });
    return result;
  }
  const input = narrowNotifyInput(event);
  try {
    const result = await notify(input, settings, deps);
    logger.info('notification sent', { notification: result });
    return result;
  } finally {
    if (deps.metrics.hasStoredMetrics()) deps.metrics.publishStoredMetrics();
  }
});
