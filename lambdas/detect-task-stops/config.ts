/** The detector's configuration, read from its environment (errors name the variable). */
import { DEFAULT_DETECTOR_THRESHOLD, DEFAULT_DETECTOR_WINDOW_MINUTES, type DetectorSettings } from '../core/task-stops';
import { type Env, readPositiveInteger, readStateTableName, requireEnv } from '../shared/config';
import { ConfigurationError } from '../shared/errors';

/** What the detector needs. */
export interface DetectorConfig {
  readonly settings: DetectorSettings;
  readonly stateTableName: string;
  readonly stateMachineArn: string;
}

/** DETECTOR_NOTIFY_ONLY: `true` or `false` (default false). */
export function readNotifyOnly(env: Env): boolean {
  const raw = env.DETECTOR_NOTIFY_ONLY?.trim();
  if (raw === undefined || raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  throw new ConfigurationError(`DETECTOR_NOTIFY_ONLY: expected true or false, got "${raw}"`);
}

/** The detector's configuration: STATE_TABLE_NAME, STATE_MACHINE_ARN, DETECTOR_THRESHOLD, DETECTOR_WINDOW_MINUTES, DETECTOR_NOTIFY_ONLY. */
export function readDetectorConfig(env: Env): DetectorConfig {
  return {
    stateTableName: readStateTableName(env),
    stateMachineArn: requireEnv(env, 'STATE_MACHINE_ARN'),
    settings: {
      threshold: readPositiveInteger(env, 'DETECTOR_THRESHOLD', DEFAULT_DETECTOR_THRESHOLD),
      windowMinutes: readPositiveInteger(env, 'DETECTOR_WINDOW_MINUTES', DEFAULT_DETECTOR_WINDOW_MINUTES),
      notifyOnly: readNotifyOnly(env),
    },
  };
}
