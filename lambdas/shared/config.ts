/**
 * The functions' own configuration, read from their environment. Each reader validates what it
 * needs and throws a ConfigurationError that names the variable (and the field inside it).
 */
import { z } from 'zod';
import { ConfigurationError } from './errors';
import type { ServiceConfig } from './types';

/** The environment, or any map of the same shape (tests). */
export type Env = Readonly<Record<string, string | undefined>>;

/** Default ALARM_ROLLBACK_WINDOW_MINUTES. */
export const DEFAULT_ALARM_ROLLBACK_WINDOW_MINUTES = 60;
/** Default COOLDOWN_MINUTES. */
export const DEFAULT_COOLDOWN_MINUTES = 30;
/** Default LOCK_TTL_SECONDS: longer than the longest rollback the state machine waits for. */
export const DEFAULT_LOCK_TTL_SECONDS = 7200;

/** What Prepare needs. */
export interface PrepareConfig {
  readonly services: readonly ServiceConfig[];
  readonly projectName: string;
  readonly stateTableName: string;
  readonly alarmRollbackWindowMinutes: number;
  readonly cooldownMinutes: number;
  readonly lockTtlSeconds: number;
}

/** What ReleaseLock needs. */
export interface ReleaseLockConfig {
  readonly stateTableName: string;
  readonly cooldownMinutes: number;
}

const nonEmpty = z.string().trim().min(1, { error: 'expected a non-empty string' });

const ServiceConfigSchema = z.object({
  cluster: nonEmpty,
  service: nonEmpty,
  ecrRepository: nonEmpty,
  containerNames: z.array(nonEmpty).optional(),
  targetGroupArn: nonEmpty.optional(),
  healthCheckUrl: z.url({ error: 'expected an http(s) URL' }).optional(),
  alarmNames: z.array(nonEmpty).default([]),
});

const ServicesSchema = z.array(ServiceConfigSchema).min(1, { error: 'expected at least one service' });

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

/** SERVICES_CONFIG: the JSON array of ServiceConfig that the CDK stack writes. */
export function readServicesConfig(env: Env): readonly ServiceConfig[] {
  const raw = requireEnv(env, 'SERVICES_CONFIG');
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

/** STATE_TABLE_NAME: the lock / cool-down / idempotency table. */
export function readStateTableName(env: Env): string {
  return requireEnv(env, 'STATE_TABLE_NAME');
}

/** COOLDOWN_MINUTES (default 30). */
export function readCooldownMinutes(env: Env): number {
  return readPositiveInteger(env, 'COOLDOWN_MINUTES', DEFAULT_COOLDOWN_MINUTES);
}

/** Prepare's configuration. */
export function readPrepareConfig(env: Env): PrepareConfig {
  return {
    services: readServicesConfig(env),
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
