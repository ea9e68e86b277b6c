/**
 * One Powertools Logger per container, used as Powertools documents it for a plain handler:
 * `addContext(context)` at the start of each invocation (request id, cold_start, function),
 * temporary keys with `appendKeys()`, and `resetKeys()` when the invocation ends, so a warm
 * container never logs execution B with execution A's keys.
 * https://docs.powertools.aws.dev/lambda/typescript/latest/features/logger/
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import type { RollbackState } from './types';

/** One logger per container; {@link withLogging} adds and resets the execution's keys. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'ecs-auto-rollback' });

/**
 * Our own correlation key names. Powertools reserves `service` (its own service name), `level`,
 * `message`, `timestamp`, `sampling_rate`, … and drops appended keys of those names.
 */
export const LOG_KEYS = {
  executionArn: 'execution_arn',
  cluster: 'ecs_cluster',
  service: 'ecs_service',
} as const;

type StateLike = Partial<Pick<RollbackState, 'execution' | 'request' | 'input'>>;

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Cluster and service from an ECS event's `resources` (`arn:…:service/<cluster>/<service>`). */
function serviceOfEvent(resources: unknown): { cluster: string; service: string } | undefined {
  const arn = Array.isArray(resources) ? resources.find((r): r is string => typeof r === 'string' && r.includes(':service/')) : undefined;
  const [cluster, service, ...rest] = arn?.slice(arn.indexOf(':service/') + ':service/'.length).split('/') ?? [];
  return cluster && service && rest.length === 0 ? { cluster, service } : undefined;
}

/** Execution ARN, cluster and ECS service of a state: from the request, else from a manual start's input. */
export function correlationKeys(state: StateLike | undefined): Record<string, string> {
  const keys: Record<string, string> = {};
  const input = typeof state?.input === 'object' && state.input !== null ? (state.input as Record<string, unknown>) : {};
  const executionArn = text(state?.execution?.id);
  const fromEvent = serviceOfEvent(input.resources);
  const cluster = text(state?.request?.cluster) ?? text(input.cluster) ?? fromEvent?.cluster;
  const service = text(state?.request?.service) ?? text(input.service) ?? fromEvent?.service;
  if (executionArn !== undefined) keys[LOG_KEYS.executionArn] = executionArn;
  if (cluster !== undefined) keys[LOG_KEYS.cluster] = cluster;
  if (service !== undefined) keys[LOG_KEYS.service] = service;
  return keys;
}

/** Adds the execution's correlation keys (e.g. after Prepare resolved the service) to every further line of this invocation. */
export function addStateContext(state: StateLike | undefined): void {
  logger.appendKeys(correlationKeys(state));
}

/** The event shapes our tasks receive: the whole state, or Notify's {kind, state}. */
function stateOf(event: unknown): StateLike | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const record = event as Record<string, unknown>;
  if ('kind' in record && typeof record.state === 'object' && record.state !== null) return record.state as StateLike;
  return record as StateLike;
}

/**
 * Wraps a task handler: Lambda context and the execution's keys on every line logged while it
 * runs, and nothing left behind for the next invocation (what Powertools' `injectLambdaContext`
 * with `resetKeys: true` does, without a decorator or middy).
 */
export function withLogging<E, R>(handler: (event: E, context?: Context) => Promise<R>): (event: E, context?: Context) => Promise<R> {
  return async (event, context) => {
    logger.resetKeys();
    if (context !== undefined) logger.addContext(context);
    addStateContext(stateOf(event));
    try {
      return await handler(event, context);
    } finally {
      logger.resetKeys();
    }
  };
}
