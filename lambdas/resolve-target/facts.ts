/**
 * Gathers what lambdas/core/target.ts decides on, in DESIGN.md's order, asking AWS only as far
 * as needed: the explicit target first (an unknown one stops here), then the service and what
 * it runs, then the deployment history, the ACTIVE deployment, and ECR last. The project's ECR
 * container is looked for only when the target is an image (explicit or the ECR fallback).
 */
import type { ECRClient, ImageIdentifier } from '@aws-sdk/client-ecr';
import type { ECSClient } from '@aws-sdk/client-ecs';
import { ecrClient, ecsClient } from '../aws/clients';
import { findImage, listImages } from '../aws/ecr-images';
import {
  describeServiceDeployment,
  describeServiceSnapshot,
  listSuccessfulServiceDeployments,
  serviceRevisionTaskDefinition,
} from '../aws/ecs-deployments';
import { describeTaskDefinition, findTaskDefinition } from '../aws/task-definitions';
import {
  currentDigests,
  type EcrImage,
  type EcsDeployment,
  failingDeployment,
  goodRevisionArn,
  pickActiveDeployment,
  pickPreviousImage,
  pickPreviousSuccessfulDeployment,
  repositoryUriFor,
  requireSameFamily,
  type ServiceSnapshot,
  type TargetFacts,
  toImageRef,
} from '../core/target';
import { parseImageReference, selectProjectContainers, toTaskDefinitionRef } from '../core/task-definition';
import { TargetNotFoundError, ValidationError } from '../shared/errors';
import type { ExplicitTarget, ImageRef, RollbackRequest } from '../shared/types';

/** The SDK clients the lookups use. */
export interface TargetClients {
  readonly ecs: ECSClient;
  readonly ecr: ECRClient;
}

type ExplicitLookup =
  | { readonly kind: 'task-definition'; readonly field: 'taskDefinition'; readonly value: string }
  | { readonly kind: 'image'; readonly field: 'imageTag' | 'commit' | 'imageDigest'; readonly value: string };

/** The one field of a manual start's target; undefined without a target, ValidationError with several. */
export function explicitLookup(target: ExplicitTarget | undefined): ExplicitLookup | undefined {
  if (target === undefined) return undefined;
  const set = (['taskDefinition', 'imageTag', 'imageDigest', 'commit'] as const).filter(
    (field) => typeof target[field] === 'string' && target[field] !== '',
  );
  if (set.length > 1) throw new ValidationError('request.target', `give exactly one of ${set.join(', ')}`);
  const field = set[0];
  if (field === undefined) return undefined;
  const value = target[field] as string;
  return field === 'taskDefinition' ? { kind: 'task-definition', field, value } : { kind: 'image', field, value };
}

function imageIdOf(lookup: ExplicitLookup): ImageIdentifier {
  return lookup.field === 'imageDigest' ? { imageDigest: lookup.value } : { imageTag: lookup.value };
}

async function findExplicitImage(lookup: ExplicitLookup, repository: string, ecr: ECRClient): Promise<EcrImage> {
  const image = await findImage(repository, imageIdOf(lookup), ecr);
  const what = `${lookup.field} ${lookup.value} (request.target.${lookup.field})`;
  if (image === undefined) throw new TargetNotFoundError(`${what} not found in ECR repository ${repository}`);
  if (image.status !== undefined && image.status !== 'ACTIVE') {
    throw new TargetNotFoundError(`${what} is ${image.status} in ECR repository ${repository}; restore it first`);
  }
  return image;
}

/** Digests the project's images run now, looking up in ECR the ones given by tag only. */
async function lookUpCurrentDigests(projectImages: readonly string[], repository: string, ecr: ECRClient) {
  const tags = [
    ...new Set(
      projectImages.map(parseImageReference).flatMap((ref) => (ref.digest === undefined && ref.tag !== undefined ? [ref.tag] : [])),
    ),
  ];
  const found = await Promise.all(tags.map((imageTag) => findImage(repository, { imageTag }, ecr)));
  return currentDigests(
    projectImages,
    found.filter((image): image is EcrImage => image !== undefined),
  );
}

async function previousSuccessfulTaskDefinition(
  request: RollbackRequest,
  service: ServiceSnapshot,
  failing: EcsDeployment | undefined,
  ecs: ECSClient,
): Promise<string | undefined> {
  const history = await listSuccessfulServiceDeployments(request.cluster, request.service, ecs);
  const previous = pickPreviousSuccessfulDeployment(history, service, failing);
  if (previous === undefined) return undefined;
  const detail = await describeServiceDeployment(previous.arn, ecs);
  const revisionArn = detail !== undefined ? goodRevisionArn(detail) : undefined;
  return revisionArn !== undefined ? serviceRevisionTaskDefinition(revisionArn, ecs) : undefined;
}

/** Everything resolveTarget() needs for this request. */
export async function gatherTargetFacts(
  request: RollbackRequest,
  clients: TargetClients = { ecs: ecsClient(), ecr: ecrClient() },
): Promise<TargetFacts> {
  const { ecs, ecr } = clients;
  const config = request.serviceConfig;
  const repository = config.ecrRepository;
  const lookup = explicitLookup(request.target);

  let explicitTaskDefinitionArn: string | undefined;
  let explicitFamily: string | undefined;
  let explicitImage: EcrImage | undefined;
  if (lookup?.kind === 'task-definition') {
    const found = await findTaskDefinition(lookup.value, ecs);
    explicitTaskDefinitionArn = found?.taskDefinition.taskDefinitionArn;
    explicitFamily = found?.taskDefinition.family;
    if (explicitTaskDefinitionArn === undefined) {
      throw new TargetNotFoundError(`task definition ${lookup.value} (request.target.taskDefinition) does not exist`);
    }
  } else if (lookup?.kind === 'image') {
    explicitImage = await findExplicitImage(lookup, repository, ecr);
  }

  const service = await describeServiceSnapshot(request.cluster, request.service, ecs);
  const running = await describeTaskDefinition(service.taskDefinition, ecs);
  const current = toTaskDefinitionRef(running.taskDefinition);
  const base = { service: request.service, ecrRepository: repository, current };
  // Only image-based targets (explicit image, ECR fallback) swap the project's containers; a task
  // definition from the request or the history is deployed as is, whatever registry its images use.
  const projectImagesNow = (): string[] => {
    const projectNames = selectProjectContainers(running.taskDefinition, config);
    return current.images.filter((c) => projectNames.includes(c.containerName)).map((c) => c.image);
  };

  if (explicitTaskDefinitionArn !== undefined) {
    requireSameFamily(lookup?.value ?? explicitTaskDefinitionArn, explicitFamily, current, request.service);
    return { ...base, currentDigests: [], explicitTaskDefinitionArn };
  }
  if (explicitImage !== undefined) {
    const projectImages = projectImagesNow();
    const tag = lookup?.field === 'imageDigest' ? undefined : lookup?.value;
    const image: ImageRef = toImageRef(explicitImage, repositoryUriFor(projectImages, explicitImage, request.region), tag);
    return { ...base, currentDigests: await lookUpCurrentDigests(projectImages, repository, ecr), explicitImage: image };
  }

  const failing = failingDeployment(service, request.trigger.deploymentId);
  const previous = await previousSuccessfulTaskDefinition(request, service, failing, ecs);
  if (previous !== undefined) return { ...base, currentDigests: [], previousDeploymentTaskDefinitionArn: previous };
  const active = pickActiveDeployment(service, failing);
  if (active !== undefined) return { ...base, currentDigests: [], activeDeploymentTaskDefinitionArn: active.taskDefinition };

  const projectImages = projectImagesNow();
  const listed = await listImages(repository, ecr);
  const previousImage = pickPreviousImage(listed, projectImages);
  return {
    ...base,
    currentDigests: currentDigests(projectImages, listed),
    ...(previousImage !== undefined
      ? { previousImage: toImageRef(previousImage, repositoryUriFor(projectImages, previousImage, request.region)) }
      : {}),
  };
}
