/**
 * ECR operations (AWS JSON 1.1, target prefix AmazonEC2ContainerRegistry_V20150921):
 * DescribeImages (imageIds, tagStatus filter, pagination) and DescribeRepositories.
 */
import type { AwsModel, EcrImage, EcrRepository } from './model';
import { ApiError, epochSeconds, num, str, strList, unknownOperation } from './protocols';

/** X-Amz-Target prefix of ECR. */
export const ECR_TARGET_PREFIX = 'AmazonEC2ContainerRegistry_V20150921';

/** What an operation handler receives besides its input. */
export interface EcrContext {
  readonly model: AwsModel;
  readonly notFound: boolean;
}

type Input = Record<string, unknown>;
type Handler = (input: Input, ctx: EcrContext) => unknown;

function repositoryNotFound(model: AwsModel, name: string): ApiError {
  return new ApiError(
    'RepositoryNotFoundException',
    `The repository with name '${name}' does not exist in the registry with id '${model.account}'`,
  );
}

function pageOf<T>(items: readonly T[], input: Input, max: number): { items: T[]; nextToken?: string } {
  const size = num(input, 'maxResults') ?? 100;
  if (!Number.isInteger(size) || size < 1 || size > max) {
    throw new ApiError('InvalidParameterException', `Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value between 1 and ${max}'`);
  }
  const token = str(input, 'nextToken');
  let offset = 0;
  if (token !== undefined) {
    offset = Number(Buffer.from(token, 'base64').toString('utf8').replace(/^ecr:/, ''));
    if (!Number.isInteger(offset) || offset < 0) throw new ApiError('InvalidParameterException', 'Invalid NextToken');
  }
  const next = offset + size < items.length ? Buffer.from(`ecr:${offset + size}`).toString('base64') : undefined;
  return { items: items.slice(offset, offset + size), nextToken: next };
}

function renderImage(model: AwsModel, repository: EcrRepository, image: EcrImage): Record<string, unknown> {
  return {
    registryId: model.account,
    repositoryName: repository.name,
    imageDigest: image.digest,
    ...(image.tags.length > 0 ? { imageTags: [...image.tags] } : {}),
    imageSizeInBytes: image.sizeInBytes,
    imagePushedAt: epochSeconds(image.pushedAt),
    imageManifestMediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    artifactMediaType: 'application/vnd.docker.container.image.v1+json',
    imageStatus: 'ACTIVE',
  };
}

const describeImages: Handler = (input, { model, notFound }) => {
  const name = str(input, 'repositoryName');
  if (name === undefined) throw new ApiError('InvalidParameterException', 'repositoryName must be specified.');
  const repository = notFound ? undefined : model.findRepository(name);
  if (repository === undefined) throw repositoryNotFound(model, name);
  const imageIds = Array.isArray(input['imageIds']) ? (input['imageIds'] as { imageTag?: string; imageDigest?: string }[]) : undefined;
  if (imageIds !== undefined && imageIds.length > 0) {
    const found: EcrImage[] = [];
    for (const id of imageIds) {
      const image = repository.images.find(
        (i) => (id.imageDigest === undefined || i.digest === id.imageDigest) && (id.imageTag === undefined || i.tags.includes(id.imageTag)),
      );
      if (image === undefined || (id.imageDigest === undefined && id.imageTag === undefined)) {
        throw new ApiError(
          'ImageNotFoundException',
          `The image with imageId {imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'} does not exist within the repository with name '${repository.name}' in the registry with id '${model.account}'`,
        );
      }
      if (!found.includes(image)) found.push(image);
    }
    return { imageDetails: found.map((i) => renderImage(model, repository, i)) };
  }
  const filter = (input['filter'] ?? {}) as { tagStatus?: string; imageStatus?: string };
  const tagStatus = filter.tagStatus ?? 'ANY';
  const images = repository.images
    .filter((i) => tagStatus === 'ANY' || (tagStatus === 'TAGGED') === i.tags.length > 0)
    .filter(() => filter.imageStatus === undefined || filter.imageStatus === 'ACTIVE' || filter.imageStatus === 'ANY');
  const { items, nextToken } = pageOf(images, input, 1000);
  return { imageDetails: items.map((i) => renderImage(model, repository, i)), nextToken };
};

const describeRepositories: Handler = (input, { model, notFound }) => {
  const names = strList(input, 'repositoryNames');
  let repositories: EcrRepository[];
  if (names.length > 0) {
    repositories = names.map((n) => {
      const repository = notFound ? undefined : model.findRepository(n);
      if (repository === undefined) throw repositoryNotFound(model, n);
      return repository;
    });
  } else {
    repositories = notFound ? [] : [...model.listRepositories()];
  }
  const { items, nextToken } = names.length > 0 ? { items: repositories, nextToken: undefined } : pageOf(repositories, input, 1000);
  return {
    repositories: items.map((r) => ({
      repositoryArn: r.arn,
      registryId: model.account,
      repositoryName: r.name,
      repositoryUri: r.uri,
      createdAt: epochSeconds(r.createdAt),
      imageTagMutability: 'MUTABLE',
      imageScanningConfiguration: { scanOnPush: false },
      encryptionConfiguration: { encryptionType: 'AES256' },
    })),
    nextToken,
  };
};

const HANDLERS: Record<string, Handler> = {
  DescribeImages: describeImages,
  DescribeRepositories: describeRepositories,
};

/** The ECR operations the stand-in implements. */
export const ECR_OPERATIONS: readonly string[] = Object.keys(HANDLERS);

/** Runs one ECR operation; throws ApiError (including for operations it does not implement). */
export function handleEcr(operation: string, input: Input, ctx: EcrContext): unknown {
  const handler = HANDLERS[operation];
  if (handler === undefined) throw unknownOperation('ECR', operation, 'json');
  return handler(input, ctx);
}
