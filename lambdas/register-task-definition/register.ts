/**
 * The task definition a rollback deploys: a known-good revision as it is (re-registered as a
 * copy when it is no longer ACTIVE), or a copy of the current revision with the project's
 * container image(s) pinned to the target digest.
 */
import type { ECSClient, RegisterTaskDefinitionRequest, Tag, TaskDefinition } from '@aws-sdk/client-ecs';
import { ecsClient, ecsWriteClient } from '../aws/clients';
import { describeTaskDefinition, findTaskDefinition, registerTaskDefinition } from '../aws/task-definitions';
import {
  containerImages,
  copyForRegistration,
  EXECUTION_TAG_KEY,
  selectProjectContainers,
  toTaskDefinitionRef,
} from '../core/task-definition';
import { TargetNotFoundError, ValidationError } from '../shared/errors';
import type { Registration, ServiceConfig, TargetResolution } from '../shared/types';

function registrationOf(taskDefinition: TaskDefinition, registered: boolean): Registration {
  const { arn, family, revision } = toTaskDefinitionRef(taskDefinition);
  return {
    taskDefinitionArn: arn,
    family,
    revision,
    registered,
    images: containerImages(taskDefinition),
    registeredAt: new Date().toISOString(),
  };
}

/** Registers (or reuses) the task definition for the resolved target; `executionId` is tagged on copies. */
export async function registerRollbackTaskDefinition(
  target: TargetResolution,
  serviceConfig: ServiceConfig,
  executionId: string,
  client: ECSClient = ecsClient(),
  writer: ECSClient = ecsWriteClient(),
): Promise<Registration> {
  if (target.taskDefinitionArn !== undefined) {
    const known = await findTaskDefinition(target.taskDefinitionArn, client);
    if (known === undefined) throw new TargetNotFoundError(`task definition ${target.taskDefinitionArn} (target.taskDefinitionArn) does not exist`);
    if (known.taskDefinition.status === 'ACTIVE') return registrationOf(known.taskDefinition, false);
    const copy = copyForRegistration(known.taskDefinition, known.tags, { executionId });
    return registrationOf(await registerOnce(copy, executionId, client, writer), true);
  }
  const image = target.image;
  if (image?.digest === undefined) {
    throw new ValidationError('target', 'a rollback target needs taskDefinitionArn or an image pinned by digest');
  }
  const current = await describeTaskDefinition(target.current.arn, client);
  const containerNames = selectProjectContainers(current.taskDefinition, serviceConfig);
  const copy = copyForRegistration(current.taskDefinition, current.tags, {
    executionId,
    swap: { containerNames, image: `${image.repositoryUri}@${image.digest}` },
  });
  return registrationOf(await registerOnce(copy, executionId, client, writer), true);
}

/**
 * Registers `copy` once per execution: when an earlier attempt of this execution registered it
 * already (its answer lost, or the function timed out after ECS took it), the family's latest
 * revision carries this execution's tag and is used instead of registering another revision.
 */
async function registerOnce(
  copy: RegisterTaskDefinitionRequest,
  executionId: string,
  client: ECSClient,
  writer: ECSClient,
): Promise<TaskDefinition> {
  if (copy.family !== undefined) {
    const latest = await findTaskDefinition(copy.family, client);
    if (latest !== undefined && isTaggedWith(latest.tags, executionId)) return latest.taskDefinition;
  }
  return registerTaskDefinition(copy, writer);
}

function isTaggedWith(tags: readonly Tag[], executionId: string): boolean {
  return tags.some((tag) => tag.key === EXECUTION_TAG_KEY && tag.value === executionId);
}
