/** RegisterTaskDefinition: the task definition the rollback deploys ($.registration). */
import { ValidationError } from '../shared/errors';
import { logger, withLogging } from '../shared/logger';
import type { Registration, RollbackState } from '../shared/types';
import { registerRollbackTaskDefinition } from './register';

function narrow(event: RollbackState) {
  const { request, target, execution } = event ?? {};
  if (request === undefined) throw new ValidationError('request', 'RegisterTaskDefinition needs $.request (the result of Prepare)');
  if (target === undefined) throw new ValidationError('target', 'RegisterTaskDefinition needs $.target (the result of ResolveTarget)');
  if (target.outcome !== 'rollback') throw new ValidationError('target.outcome', `is ${target.outcome}; only a rollback registers a task definition`);
  if (execution?.id === undefined) throw new ValidationError('execution.id', 'is missing');
  return { request, target, executionId: execution.id };
}

/** Step Functions task: reuses or registers the rollback task definition. */
export const handler = withLogging(async (event: RollbackState): Promise<Registration> => {
  const { request, target, executionId } = narrow(event);
  const registration = await registerRollbackTaskDefinition(target, request.serviceConfig, executionId);
  logger.info('rollback task definition ready', { taskDefinitionArn: registration.taskDefinitionArn, registered: registration.registered });
  return registration;
});
