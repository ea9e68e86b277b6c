import { describe, expect, it } from 'vitest';
import { readPrepareConfig } from '../../lambdas/prepare/config';
import { readReleaseLockConfig } from '../../lambdas/shared/config';
import { ConfigurationError } from '../../lambdas/shared/errors';

const RIDERAPP = { cluster: 'riderapp-cluster', service: 'riderapp-service', ecrRepository: 'riderapp', alarmNames: [] };
const SERVICES = JSON.stringify([RIDERAPP]);
const env = {
  PROJECT_NAME: 'riderapp',
  STATE_TABLE_NAME: 'riderapp-rollback-state',
};

describe('Prepare configuration from the environment and the services configuration item', () => {
  it('applies the defaults: 60-minute alarm window, 30-minute cool-down, 2-hour lock', () => {
    // Act
    const config = readPrepareConfig(env, SERVICES);

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
    }, SERVICES);

    // Assess
    expect(config).toMatchObject({ alarmRollbackWindowMinutes: 90, cooldownMinutes: 15, lockTtlSeconds: 3600 });
  });

  it.each([
    {
      scenario: 'the services configuration item is missing',
      services: null,
      message: 'SERVICES_CONFIG: required but not set (the state table has no item "config#services"; the deployment writes it)',
    },
    { scenario: 'SERVICES_CONFIG not JSON', services: '[riderapp', message: /^SERVICES_CONFIG: not valid JSON/ },
    { scenario: 'SERVICES_CONFIG empty', services: '[]', message: 'SERVICES_CONFIG: expected at least one service' },
    {
      scenario: 'a service without a cluster',
      services: JSON.stringify([{ ...RIDERAPP, cluster: '' }]),
      message: 'SERVICES_CONFIG[0].cluster: expected a non-empty string',
    },
    {
      scenario: 'a service listed twice',
      services: JSON.stringify([RIDERAPP, RIDERAPP]),
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
  ] as { scenario: string; change?: Record<string, string | undefined>; services?: string | null; message: string | RegExp }[])(
    'names the variable when $scenario',
    ({ change, services, message }) => {
    // Act
    const read = () => readPrepareConfig({ ...env, ...change }, services === null ? undefined : (services ?? SERVICES));

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
