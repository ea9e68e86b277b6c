/**
 * Task definitions as data: which containers belong to the project, image references, and the
 * copy of a revision that RegisterTaskDefinition accepts (read-only fields removed, the project's
 * image(s) swapped, tags carried over). Pure: no SDK imports, the same input gives the same copy.
 */
import { ValidationError } from '../shared/errors';
import type { ContainerImage, ServiceConfig, TaskDefinitionRef } from '../shared/types';
import { shortTaskDefinition } from './stability';

/** Fields DescribeTaskDefinition returns that RegisterTaskDefinition does not take. */
export const READ_ONLY_TASK_DEFINITION_FIELDS = [
  'taskDefinitionArn',
  'revision',
  'status',
  'requiresAttributes',
  'compatibilities',
  'registeredAt',
  'registeredBy',
  'deregisteredAt',
  'deleteRequestedAt',
] as const;

export type ReadOnlyTaskDefinitionField = (typeof READ_ONLY_TASK_DEFINITION_FIELDS)[number];

/** Tag put on every revision this system registers; its value is the execution id. */
export const EXECUTION_TAG_KEY = 'ecs-auto-rollback:execution';

/** The part of a container definition these decisions read. */
export interface ContainerDefinitionLike {
  readonly name?: string | undefined;
  readonly image?: string | undefined;
}

/** The part of a task definition these decisions read (the SDK's TaskDefinition fits). */
export interface TaskDefinitionLike<C extends ContainerDefinitionLike = ContainerDefinitionLike> {
  readonly taskDefinitionArn?: string | undefined;
  readonly family?: string | undefined;
  readonly revision?: number | undefined;
  readonly status?: string | undefined;
  readonly containerDefinitions?: readonly C[] | undefined;
}

/** A resource tag as ECS returns and takes it. */
export interface TagLike {
  readonly key?: string | undefined;
  readonly value?: string | undefined;
}

/** A container image reference split into its parts. */
export interface ImageReference {
  /** Registry host, absent for Docker Hub short names. */
  readonly registry?: string;
  /** Repository path inside the registry, e.g. `riderapp` or `team/riderapp`. */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

const PRIVATE_ECR_HOST = /^\d{12}\.dkr[.-]ecr[.-]/;

/** Splits `registry/repository:tag@digest` into its parts. */
export function parseImageReference(image: string): ImageReference {
  const at = image.indexOf('@');
  const digest = at >= 0 ? image.slice(at + 1) : undefined;
  let name = at >= 0 ? image.slice(0, at) : image;
  let tag: string | undefined;
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
  }
  const slash = name.indexOf('/');
  const host = slash >= 0 ? name.slice(0, slash) : undefined;
  const hasRegistry = host !== undefined && (host.includes('.') || host.includes(':') || host === 'localhost');
  return {
    ...(hasRegistry ? { registry: host } : {}),
    repository: hasRegistry ? name.slice(slash + 1) : name,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}

/** `registry/repository` of an image reference, without tag or digest. */
export function repositoryUriOf(reference: ImageReference): string {
  return reference.registry !== undefined ? `${reference.registry}/${reference.repository}` : reference.repository;
}

/** True when the image lives in the private ECR repository of that name. */
export function isImageFromRepository(image: string, ecrRepository: string): boolean {
  const reference = parseImageReference(image);
  return reference.registry !== undefined && PRIVATE_ECR_HOST.test(reference.registry) && reference.repository === ecrRepository;
}

/** The images of every container, in task definition order. */
export function containerImages(taskDefinition: TaskDefinitionLike): ContainerImage[] {
  return (taskDefinition.containerDefinitions ?? []).map((container) => ({
    containerName: container.name ?? '',
    image: container.image ?? '',
  }));
}

/** ARN, family, revision and images of a described task definition. */
export function toTaskDefinitionRef(taskDefinition: TaskDefinitionLike): TaskDefinitionRef {
  const { taskDefinitionArn, family, revision } = taskDefinition;
  if (taskDefinitionArn === undefined || family === undefined || revision === undefined) {
    throw new ValidationError('taskDefinition', `${taskDefinitionArn ?? family ?? 'a task definition'} lacks its ARN, family or revision`);
  }
  return { arn: taskDefinitionArn, family, revision, images: containerImages(taskDefinition) };
}

/**
 * Names of the containers whose image a rollback changes: `serviceConfig.containerNames` when
 * given (each must exist), else those whose image comes from `serviceConfig.ecrRepository`.
 * Never the first container by position.
 */
export function selectProjectContainers(
  taskDefinition: TaskDefinitionLike,
  config: Pick<ServiceConfig, 'ecrRepository' | 'containerNames'>,
): string[] {
  const containers = taskDefinition.containerDefinitions ?? [];
  const names = containers.map((container) => container.name ?? '');
  const label = shortTaskDefinition(taskDefinition.taskDefinitionArn ?? taskDefinition.family ?? 'the task definition');
  if (config.containerNames !== undefined && config.containerNames.length > 0) {
    const missing = config.containerNames.filter((name) => !names.includes(name));
    if (missing.length > 0) {
      throw new ValidationError(
        'serviceConfig.containerNames',
        `${missing.join(', ')} not found in ${label} (its containers: ${names.join(', ') || 'none'})`,
      );
    }
    return [...config.containerNames];
  }
  const matching = containers
    .filter((container) => container.image !== undefined && isImageFromRepository(container.image, config.ecrRepository))
    .map((container) => container.name ?? '');
  if (matching.length === 0) {
    throw new ValidationError(
      'serviceConfig.ecrRepository',
      `no container of ${label} runs an image from ECR repository ${config.ecrRepository} ` +
        `(its images: ${containers.map((c) => c.image ?? '?').join(', ') || 'none'}); set serviceConfig.containerNames`,
    );
  }
  return matching;
}

/** The tags to put on a copy: no `aws:` keys (reserved), the execution tag set to this execution. */
export function tagsForCopy(tags: readonly TagLike[], executionId: string): { key: string; value: string }[] {
  const carried = tags
    .filter((tag): tag is { key: string; value?: string } => tag.key !== undefined && tag.key !== EXECUTION_TAG_KEY)
    .filter((tag) => !tag.key.toLowerCase().startsWith('aws:'))
    .map((tag) => ({ key: tag.key, value: tag.value ?? '' }));
  return [...carried, { key: EXECUTION_TAG_KEY, value: executionId }];
}

/** The container definition type of a task definition type. */
export type ContainerOf<T> = T extends { readonly containerDefinitions?: readonly (infer C)[] | undefined } ? C : never;

/** What a copy of a task definition looks like: RegisterTaskDefinition's input. */
export type TaskDefinitionCopy<T extends TaskDefinitionLike> = Omit<
  T,
  ReadOnlyTaskDefinitionField | 'family' | 'containerDefinitions'
> & {
  family: string;
  containerDefinitions: ContainerOf<T>[];
  tags: { key: string; value: string }[];
};

/** How a copy differs from its original. */
export interface CopyOptions {
  /** Id of the execution that registers the copy (tagged). */
  readonly executionId: string;
  /** Put this image into these containers; absent: the containers stay as they are. */
  readonly swap?: { readonly containerNames: readonly string[]; readonly image: string };
}

/**
 * A task definition RegisterTaskDefinition accepts, made from a described one: read-only fields
 * removed, the swapped containers' image replaced, tags carried over without `aws:` keys and
 * the execution tag added. The original is not changed.
 */
export function copyForRegistration<T extends TaskDefinitionLike>(
  taskDefinition: T,
  tags: readonly TagLike[],
  options: CopyOptions,
): TaskDefinitionCopy<T> {
  const { family, containerDefinitions } = taskDefinition;
  if (family === undefined || containerDefinitions === undefined || containerDefinitions.length === 0) {
    throw new ValidationError('taskDefinition', `${taskDefinition.taskDefinitionArn ?? 'a task definition'} lacks its family or containers`);
  }
  const copy: Record<string, unknown> = { ...(taskDefinition as object) };
  for (const field of READ_ONLY_TASK_DEFINITION_FIELDS) delete copy[field];
  const swap = options.swap;
  const containers = containerDefinitions.map((container) =>
    swap !== undefined && container.name !== undefined && swap.containerNames.includes(container.name)
      ? { ...container, image: swap.image }
      : { ...container },
  ) as ContainerOf<T>[];
  return {
    ...(copy as Omit<T, ReadOnlyTaskDefinitionField | 'family' | 'containerDefinitions'>),
    family,
    containerDefinitions: containers,
    tags: tagsForCopy(tags, options.executionId),
  };
}
