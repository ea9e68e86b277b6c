/** ResolveTarget: the last known-good task definition or image of the service ($.target). */
import { resolveTarget } from '../core/target';
import { ValidationError } from '../shared/errors';
import { logger, withLogging } from '../shared/logger';
import type { RollbackRequest, RollbackState, TargetResolution } from '../shared/types';
import { gatherTargetFacts } from './facts';

function requestOf(event: RollbackState): RollbackRequest {
  if (event?.request === undefined) throw new ValidationError('request', 'ResolveTarget needs $.request (the result of Prepare)');
  return event.request;
}

/** Step Functions task: gathers the facts, decides with resolveTarget(), stamps the time. */
export const handler = withLogging(async (event: RollbackState): Promise<TargetResolution> => {
  const request = requestOf(event);
  const decision = resolveTarget(await gatherTargetFacts(request));
  logger.info('rollback target resolved', { outcome: decision.outcome, source: decision.source, reason: decision.reason });
  return { ...decision, resolvedAt: new Date().toISOString() };
});
