import { setTimeout as sleep } from 'node:timers/promises';
import { ecsClient, elbv2Client } from '../aws/clients';
import { readServicesConfigItem } from '../aws/services-config';
import { loopbackAllowed, resolveWithSystem } from '../aws/http-probe';
import { type ProbeSettings, readProbeSettings } from '../core/health';
import { configuredHealthCheckUrl, onceAsync, readStateTableName } from '../shared/config';
import { logger, withLogging } from '../shared/logger';
import type { HealthResult, RollbackState } from '../shared/types';
import { narrowProbeHealthInput, type ProbeHealthDeps, probeHealth } from './probe';

/** The services configuration's text, read once per container (only when a health URL is probed). */
const servicesConfig = onceAsync(() => readServicesConfigItem(readStateTableName(process.env)));

/** The handler's clients, HTTP, DNS, sleep and clock; tests replace sleep so nothing waits and resolve so no DNS is asked. */
export const deps: ProbeHealthDeps = {
  ecs: ecsClient,
  elbv2: elbv2Client,
  fetch: (input, init) => fetch(input, init),
  resolve: resolveWithSystem,
  allowLoopback: () => loopbackAllowed(process.env),
  sleep: async (milliseconds) => {
    await sleep(milliseconds);
  },
  now: () => new Date(),
  configuredHealthCheckUrl: async (cluster, service) => configuredHealthCheckUrl(await servicesConfig(), cluster, service),
};

let settings: ProbeSettings | undefined;

/** ProbeHealth task: target-group and/or HTTP health of the rollback → $.health. */
export const handler = withLogging(async (event: RollbackState): Promise<HealthResult> => {
  settings ??= readProbeSettings(process.env);
  const input = narrowProbeHealthInput(event);
  const result = await probeHealth(input, settings, deps);
  logger.info('health probed', { health: result });
  return result;
});
