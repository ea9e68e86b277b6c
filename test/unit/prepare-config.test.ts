import { describe, expect, it } from 'vitest';
import { readPrepareConfig } from '../../lambdas/prepare/config';
import { readReleaseLockConfig } from '../../lambdas/shared/config';
import { ConfigurationError } from '../../lambdas/shared/errors';

const RIDERAPP = { cluster: 'riderapp-cluster', service: 'riderapp-service', ecrRepository: 'riderapp', alarmNames: [] };
const env = {
  SERVICES_CONFIG: JSON.stringify([RIDERAPP]),
  PROJECT_NAME: 'riderapp',
  STATE_TABLE_NAME: 'riderapp-rollback-state',
};

describe('Prepare configuration from the environment', () => {
  it('applies the defaults: 60-minute alarm window, 30-minute cool-down, 2-hour lock', () => {
    // Act
    const config = readPrepareConfig(env);

    // Assess
    expect(config).toEqual({
      services: [RIDERAPP],
      projectName: 'riderapp',
      stateTableName: 'riderapp-rollback-state',
      alarmRollbackWindowMinutes: 60,
      cooldownMinutes: 30,
      lockTtlSeconds: 7200,
    });
  });

  it('reads the tunables when set', () => {
    // Act
    const config = readPrepareConfig({
      ...env,
      ALARM_ROLLBACK_WINDOW_MINUTES: '90',
      COOLDOWN_MINUTES: '15',
      LOCK_TTL_SECONDS: '3600',
    });

    // Assess
    expect(config).toMatchObject({ alarmRollbackWindowMinutes: 90, cooldownMinutes: 15, lockTtlSeconds: 3600 });
  });

  it.each([
    { scenario: 'SERVICES_CONFIG missing', change: { SERVICES_CONFIG: undefined }, message: 'SERVICES_CONFIG: required but not set' },
    { scenario: 'SERVICES_CONFIG not JSON', change: { SERVICES_CONFIG: '[riderapp' }, message: /^SERVICES_CONFIG: not valid JSON/ },
    { scenario: 'SERVICES_CONFIG empty', change: { SERVICES_CONFIG: '[]' }, message: 'SERVICES_CONFIG: expected at least one service' },
    {
      scenario: 'a service without a cluster',
      change: { SERVICES_CONFIG: JSON.stringify([{ ...RIDERAPP, cluster: '' }]) },
      message: 'SERVICES_CONFIG[0].cluster: expected a non-empty string',
    },
    {
      scenario: 'a service listed twice',
      change: { SERVICES_CONFIG: JSON.stringify([RIDERAPP, RIDERAPP]) },
      message: 'SERVICES_CONFIG: riderapp-cluster/riderapp-service is listed twice',
    },
    { scenario: 'PROJECT_NAME missing', change: { PROJECT_NAME: '' }, message: 'PROJECT_NAME: required but not set' },
    { scenario: 'STATE_TABLE_NAME missing', change: { STATE_TABLE_NAME: undefined }, message: 'STATE_TABLE_NAME: required but not set' },
    {
      scenario: 'a negative cool-down',
      change: { COOLDOWN_MINUTES: '-5' },
      message: 'COOLDOWN_MINUTES: expected a positive whole number, got "-5"',
    },
    {
      scenario: 'a lock TTL that is not a number',
      change: { LOCK_TTL_SECONDS: '2h' },
      message: 'LOCK_TTL_SECONDS: expected a positive whole number, got "2h"',
    },
  ])('names the variable when $scenario', ({ change, message }) => {
    // Act
    const read = () => readPrepareConfig({ ...env, ...change });

    // Assess
    expect(read).toThrow(ConfigurationError);
    expect(read).toThrow(message);
  });

  it('gives ReleaseLock only what it needs', () => {
    // Act
    const config = readReleaseLockConfig({ STATE_TABLE_NAME: 'riderapp-rollback-state' });

    // Assess
    expect(config).toEqual({ stateTableName: 'riderapp-rollback-state', cooldownMinutes: 30 });
  });
});
