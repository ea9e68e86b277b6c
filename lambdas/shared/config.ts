/**
 * The functions' own configuration, read from their environment. Each reader validates what it
 * needs and throws a ConfigurationError that names the variable (and the field inside it).
 * The services configuration (SERVICES_CONFIG) is a state-table item the deployment writes (it does
 * not fit the 4 KB Lambda environment); Prepare validates it with zod in lambdas/prepare/config.ts,
 * so that the other functions do not bundle zod.
 */
import { ConfigurationError } from './errors';

/** The environment, or any map of the same shape (tests). */
export type Env = Readonly<Record<string, string | undefined>>;

/** Default ALARM_ROLLBACK_WINDOW_MINUTES. */
export const DEFAULT_ALARM_ROLLBACK_WINDOW_MINUTES = 60;
/** Default COOLDOWN_MINUTES. */
export const DEFAULT_COOLDOWN_MINUTES = 30;
/** Default LOCK_TTL_SECONDS: longer than the longest rollback the state machine waits for. */
export const DEFAULT_LOCK_TTL_SECONDS = 7200;

/** Partition key (`id`) of the state-table item holding the services configuration. */
export const SERVICES_CONFIG_ITEM_ID = 'config#services';

/**
 * The tag the construct puts on its state machine (value: the project), so `ecs-rollback doctor`
 * finds a stack made with the construct whatever the stack's name; CloudFormation's own
 * aws:cloudformation:stack-name tag on the state machine then names the stack.
 */
export const PROJECT_TAG_KEY = 'ecs-auto-rollback:project';

/** Attribute of that item holding the JSON array of ServiceConfig (a string). */
export const SERVICES_CONFIG_ATTRIBUTE = 'servicesConfig';

/**
 * The health URL configured for cluster/service in the services configuration's JSON text (the
 * full URL, tokens included), or undefined when the text is missing, not a list or has none for it.
 * ProbeHealth reads it here because the execution's state carries only the redacted URL.
 */
export function configuredHealthCheckUrl(servicesConfig: string | undefined, cluster: string, service: string): string | undefined {
  if (servicesConfig === undefined) return undefined;
  let services: unknown;
  try {
    services = JSON.parse(servicesConfig);
  } catch {
    return undefined;
  }
  if (!Array.isArray(services)) return undefined;
  const entry = services.find(
    (s: unknown) => typeof s === 'object' && s !== null && (s as { cluster?: unknown }).cluster === cluster && (s as { service?: unknown }).service === service,
  ) as { healthCheckUrl?: unknown } | undefined;
  return typeof entry?.healthCheckUrl === 'string' ? entry.healthCheckUrl : undefined;
}

/** What ReleaseLock needs. */
export interface ReleaseLockConfig {
  readonly stateTableName: string;
  readonly cooldownMinutes: number;
}

/** The value of a required variable. */
export function requireEnv(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (value === undefined || value === '') throw new ConfigurationError(`${name}: required but not set`);
  return value;
}

/** A positive integer variable, or its default when unset. */
export function readPositiveInteger(env: Env, name: string, defaultValue: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return defaultValue;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new ConfigurationError(`${name}: expected a positive whole number, got "${raw}"`);
  }
  return value;
}

/** STATE_TABLE_NAME: the lock / cool-down / idempotency table. */
export function readStateTableName(env: Env): string {
  return requireEnv(env, 'STATE_TABLE_NAME');
}

/** COOLDOWN_MINUTES (default 30). */
export function readCooldownMinutes(env: Env): number {
  return readPositiveInteger(env, 'COOLDOWN_MINUTES', DEFAULT_COOLDOWN_MINUTES);
}

/** ReleaseLock's configuration. */
export function readReleaseLockConfig(env: Env): ReleaseLockConfig {
  return { stateTableName: readStateTableName(env), cooldownMinutes: readCooldownMinutes(env) };
}

/** Reads a configuration once, on first use (a bad environment fails the invocation, not the import). */
export function once<T>(read: () => T): () => T {
  let value: T | undefined;
  return () => {
    value ??= read();
    return value;
  };
}

/**
 * Reads an asynchronous configuration once per container, on first use; a failed read (a throttled
 * GetItem, say) is not kept, so the next invocation reads again.
 */
export function onceAsync<T>(read: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    value ??= read().catch((error: unknown) => {
      value = undefined;
      throw error;
    });
    return value;
  };
}
