/** ECS task definition adapter: describe a revision with its tags, register a new one. */
import {
  DescribeTaskDefinitionCommand,
  type ECSClient,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionRequest,
  type Tag,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { AwsCallError } from '../shared/errors';
import { awsCall } from './call';
import { ecsClient } from './clients';

/** A described task definition and its tags. */
export interface DescribedTaskDefinition {
  readonly taskDefinition: TaskDefinition;
  readonly tags: Tag[];
}

const NOT_FOUND_ERRORS = new Set(['ClientException', 'InvalidParameterException']);

/**
 * DescribeTaskDefinition (include TAGS) of `family:revision`, a family or an ARN; undefined when
 * ECS does not know it ("ClientException: Unable to describe task definition.").
 */
export async function findTaskDefinition(
  taskDefinition: string,
  client: ECSClient = ecsClient(),
): Promise<DescribedTaskDefinition | undefined> {
  const out = await awsCall('ecs:DescribeTaskDefinition', async () => {
    try {
      return await client.send(new DescribeTaskDefinitionCommand({ taskDefinition, include: ['TAGS'] }));
    } catch (error) {
      if (NOT_FOUND_ERRORS.has((error as { name?: string } | null)?.name ?? '')) return undefined;
      throw error;
    }
  });
  if (out?.taskDefinition === undefined) return undefined;
  return { taskDefinition: out.taskDefinition, tags: out.tags ?? [] };
}

/** DescribeTaskDefinition of a revision that must exist (the one a service runs). */
export async function describeTaskDefinition(
  taskDefinition: string,
  client: ECSClient = ecsClient(),
): Promise<DescribedTaskDefinition> {
  const found = await findTaskDefinition(taskDefinition, client);
  if (found === undefined) throw new AwsCallError('ecs:DescribeTaskDefinition', `task definition ${taskDefinition} not found`);
  return found;
}

/** RegisterTaskDefinition; returns the new revision. */
export async function registerTaskDefinition(
  input: RegisterTaskDefinitionRequest,
  client: ECSClient = ecsClient(),
): Promise<TaskDefinition> {
  const out = await awsCall('ecs:RegisterTaskDefinition', () => client.send(new RegisterTaskDefinitionCommand(input)));
  if (out.taskDefinition === undefined) throw new AwsCallError('ecs:RegisterTaskDefinition', 'the response has no task definition');
  return out.taskDefinition;
}
