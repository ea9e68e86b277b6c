import { Logger } from '@aws-lambda-powertools/logger';
import type { RollbackState } from './types';

/** One logger per container; handlers add the execution's correlation keys. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'ecs-auto-rollback' });

/** Correlation keys (execution, cluster, service) for every log line of this invocation. */
export function addStateContext(state: Partial<Pick<RollbackState, 'execution' | 'request'>>): void {
  const keys: Record<string, string> = {};
  if (state.execution?.id !== undefined) keys.execution = state.execution.id;
  if (state.request?.cluster !== undefined) keys.cluster = state.request.cluster;
  if (state.request?.service !== undefined) keys.service = state.request.service;
  logger.appendKeys(keys);
}
