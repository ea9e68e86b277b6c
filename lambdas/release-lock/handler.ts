import { createStateTable } from '../aws/state-table';
import { once, readReleaseLockConfig } from '../shared/config';
import { logger, withLogging } from '../shared/logger';
import type { RollbackState } from '../shared/types';
import { type LockReleaseResult, releaseLock } from './release';

const setup = once(() => {
  const config = readReleaseLockConfig(process.env);
  return { config, stateTable: createStateTable({ tableName: config.stateTableName }) };
});

/** ReleaseLock: frees this execution's lock and starts the cool-down after its rollback; `$.lockRelease`. */
export const handler = withLogging(async (event: RollbackState): Promise<LockReleaseResult> => {
  if (event?.request === undefined) return { released: false };
  const { config, stateTable } = setup();
  const result = await releaseLock(event, { stateTable, cooldownMinutes: config.cooldownMinutes });
  logger.info('Lock released', { ...result });
  return result;
});
