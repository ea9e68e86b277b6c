/**
 * Prepare's configuration: the services configuration (SERVICES_CONFIG, the state-table item the
 * deployment writes; validated with zod) and the guard settings from the environment.
 * Kept out of lambdas/shared/config.ts so that only Prepare's bundle carries zod.
 */
import * as z from '../shared/zod';
import {
  DEFAULT_ALARM_ROLLBACK_WINDOW_MINUTES,
  DEFAULT_LOCK_TTL_SECONDS,
  type Env,
  readCooldownMinutes,
  readPositiveInteger,
  readStateTableName,
  requireEnv,
  SERVICES_CONFIG_ITEM_ID,
} from '../shared/config';
import { ConfigurationError } from '../shared/errors';
import type { ServiceConfig } from '../shared/types';

/** What Prepare needs. */
export interface PrepareConfig {
  readonly services: readonly ServiceConfig[];
  readonly projectName: string;
  readonly stateTableName: string;
  readonly alarmRollbackWindowMinutes: number;
  readonly cooldownMinutes: number;
  readonly lockTtlSeconds: number;
}

const nonEmpty = z.string().check(z.trim(), z.minLength(1, { error: 'expected a non-empty string' }));

const ServiceConfigSchema = z.object({
  cluster: nonEmpty,
  service: nonEmpty,
  ecrRepository: nonEmpty,
  containerNames: z.optional(z.array(nonEmpty)),
  targetGroupArn: z.optional(nonEmpty),
  healthCheckUrl: z.optional(z.url({ error: 'expected an http(s) URL' })),
  alarmNames: z._default(z.array(nonEmpty), []),
});

const ServicesSchema = z.array(ServiceConfigSchema).check(z.minLength(1, { error: 'expected at least one service' }));

/**
 * SERVICES_CONFIG: the JSON array of ServiceConfig that the deployment writes into the state table
 * (item id {@link SERVICES_CONFIG_ITEM_ID}); `raw` is undefined when the item is missing.
 */
export function parseServicesConfig(raw: string | undefined): readonly ServiceConfig[] {
  if (raw === undefined || raw.trim() === '') {
    throw new ConfigurationError(
      `SERVICES_CONFIG: required but not set (the state table has no item "${SERVICES_CONFIG_ITEM_ID}"; the deployment writes it)`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new ConfigurationError(`SERVICES_CONFIG: not valid JSON (${(error as Error).message})`, { cause: error });
  }
  const parsed = ServicesSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = (issue?.path ?? []).map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
    throw new ConfigurationError(`SERVICES_CONFIG${path}: ${issue?.message ?? 'invalid'}`);
  }
  const seen = new Set<string>();
  for (const service of parsed.data) {
    const key = `${service.cluster}/${service.service}`;
    if (seen.has(key)) throw new ConfigurationError(`SERVICES_CONFIG: ${key} is listed twice`);
    seen.add(key);
  }
  return parsed.data;
}

/** Prepare's configuration: the guard settings from `env`, the services from the state-table item's text. */
export function readPrepareConfig(env: Env, servicesConfig: string | undefined): PrepareConfig {
  return {
    services: parseServicesConfig(servicesConfig),
    projectName: requireEnv(env, 'PROJECT_NAME'),
    stateTableName: readStateTableName(env),
    alarmRollbackWindowMinutes: readPositiveInteger(
      env,
      'ALARM_ROLLBACK_WINDOW_MINUTES',
      DEFAULT_ALARM_ROLLBACK_WINDOW_MINUTES,
    ),
    cooldownMinutes: readCooldownMinutes(env),
    lockTtlSeconds: readPositiveInteger(env, 'LOCK_TTL_SECONDS', DEFAULT_LOCK_TTL_SECONDS),
  };
}
