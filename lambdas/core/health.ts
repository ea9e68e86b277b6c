/**
 * Health decisions, pure: which of a deployment's tasks are healthy targets, what an HTTP probe
 * saw, how long to back off, and the HealthResult a person reads.
 */
import { ConfigurationError } from '../shared/errors';
import type { HealthCheck, HealthResult } from '../shared/types';

/** One target of a target group as ELBv2 reports it. */
export interface TargetState {
  /** The IP address for ip targets (Fargate), an instance id otherwise. */
  readonly id: string;
  readonly port?: number;
  /** initial | healthy | unhealthy | unused | draining | unavailable | unhealthy.draining */
  readonly state: string;
  readonly reason?: string;
}

/** How a deployment's tasks look in one target group. */
export interface TargetGroupObservation {
  readonly targetGroupArn: string;
  /** Tasks of the deployment registered in the group (any state but draining). */
  readonly registered: number;
  /** Tasks of the deployment that are `healthy` in the group. */
  readonly healthy: number;
  /** Why registered tasks are not healthy yet, e.g. ["initial: Elb.RegistrationInProgress"]. */
  readonly notHealthy: readonly string[];
}

const DRAINING_STATES = new Set(['draining', 'unhealthy.draining']);

/** Counts the deployment's task IPs that are registered and healthy in a target group. */
export function observeTargetGroup(
  targetGroupArn: string,
  targets: readonly TargetState[],
  taskIps: readonly string[],
): TargetGroupObservation {
  const ours = new Set(taskIps);
  const registered = new Set<string>();
  const healthy = new Set<string>();
  const notHealthy: string[] = [];
  for (const target of targets) {
    if (!ours.has(target.id) || DRAINING_STATES.has(target.state)) continue;
    registered.add(target.id);
    if (target.state === 'healthy') healthy.add(target.id);
    else notHealthy.push(target.reason === undefined ? target.state : `${target.state}: ${target.reason}`);
  }
  return { targetGroupArn, registered: registered.size, healthy: healthy.size, notHealthy };
}

/** True when every target group (at least one) has `expected` healthy tasks of the deployment. */
export function allTargetGroupsHealthy(groups: readonly TargetGroupObservation[], expected: number): boolean {
  return expected > 0 && groups.length > 0 && groups.every((g) => g.healthy >= expected);
}

/** "3/3 targets healthy", with why the others are not when some are missing. */
export function describeTargetGroup(group: TargetGroupObservation, expected: number): string {
  const base = `${group.healthy}/${expected} targets healthy`;
  if (group.healthy >= expected) return base;
  const unregistered = Math.max(0, expected - group.registered);
  const parts = [...new Set(group.notHealthy)];
  if (unregistered > 0) parts.push(`${unregistered} not registered`);
  return parts.length === 0 ? base : `${base} (${parts.join(', ')})`;
}

/** Probe settings, from the environment. */
export interface ProbeSettings {
  readonly attempts: number;
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
}

export const DEFAULT_PROBE_SETTINGS: ProbeSettings = { attempts: 5, intervalSeconds: 5, timeoutSeconds: 5 };

function positiveNumber(env: Readonly<Record<string, string | undefined>>, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new ConfigurationError(`${name} must be a positive number, got "${raw}"`);
  }
  return value;
}

/** PROBE_ATTEMPTS (default 5), PROBE_INTERVAL_SECONDS (5), PROBE_TIMEOUT_SECONDS (5). */
export function readProbeSettings(env: Readonly<Record<string, string | undefined>>): ProbeSettings {
  return {
    attempts: Math.max(1, Math.floor(positiveNumber(env, 'PROBE_ATTEMPTS', DEFAULT_PROBE_SETTINGS.attempts))),
    intervalSeconds: positiveNumber(env, 'PROBE_INTERVAL_SECONDS', DEFAULT_PROBE_SETTINGS.intervalSeconds),
    timeoutSeconds: positiveNumber(env, 'PROBE_TIMEOUT_SECONDS', DEFAULT_PROBE_SETTINGS.timeoutSeconds),
  };
}

const MAX_BACKOFF_SECONDS = 60;

/** Exponential backoff before retry `retry` (1-based): interval, 2×, 4×, ... capped at 60 s. */
export function backoffSeconds(retry: number, intervalSeconds: number): number {
  return Math.min(MAX_BACKOFF_SECONDS, intervalSeconds * 2 ** Math.max(0, retry - 1));
}

/** What one HTTP GET saw. */
export type HttpOutcome =
  | { readonly kind: 'status'; readonly status: number }
  | { readonly kind: 'timeout'; readonly timeoutSeconds: number }
  | { readonly kind: 'error'; readonly message: string }
  /** Not requested: the URL or the address its name resolves to is refused (lambdas/core/url-safety.ts). */
  | { readonly kind: 'refused'; readonly message: string }
  /** A redirect the probe did not follow (to another host, or one too many); `location` is redacted. */
  | { readonly kind: 'redirect'; readonly status: number; readonly location: string; readonly why: string };

/** 2xx passes. */
export function httpPassed(outcome: HttpOutcome): boolean {
  return outcome.kind === 'status' && outcome.status >= 200 && outcome.status < 300;
}

/** "HTTP 200", "HTTP 503 after 5 attempts", "timed out after 5 s (5 attempts)". */
export function describeHttpOutcome(outcome: HttpOutcome, attempts: number): string {
  const tries = attempts === 1 ? '1 attempt' : `${attempts} attempts`;
  switch (outcome.kind) {
    case 'status':
      return httpPassed(outcome) ? `HTTP ${outcome.status}` : `HTTP ${outcome.status} after ${tries}`;
    case 'timeout':
      return `timed out after ${outcome.timeoutSeconds} s (${tries})`;
    case 'error':
      return `request failed: ${outcome.message} (${tries})`;
    case 'refused':
      return `not requested: ${outcome.message} (${tries})`;
    case 'redirect':
      return `HTTP ${outcome.status} redirect to ${outcome.location} not followed (${outcome.why}) (${tries})`;
  }
}

/** The check recorded when neither a target group nor a health URL is configured. */
export function reliedOnDeploymentCheck(subject: string, stabilityMessage: string | undefined): HealthCheck {
  return {
    kind: 'ecs-deployment',
    ok: true,
    subject,
    detail: `no target group or health URL configured; relied on the ECS deployment state${
      stabilityMessage === undefined ? '' : ` (${stabilityMessage})`
    }`,
  };
}

/** The HealthResult: healthy when every check passed. */
export function summarizeHealth(checks: readonly HealthCheck[], attempts: number, checkedAt: string): HealthResult {
  const failed = checks.filter((c) => !c.ok);
  const healthy = checks.length > 0 && failed.length === 0;
  const shown = healthy ? checks : failed;
  const message = `${healthy ? 'Healthy' : 'Unhealthy'}: ${shown.map((c) => `${c.subject}: ${c.detail}`).join('; ')}`;
  return { healthy, checks, attempts, message, checkedAt };
}
