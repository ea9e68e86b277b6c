/**
 * ECR image adapter: look one image up by tag or digest, or list a repository's images, mapped
 * to the plain data lambdas/core/target.ts decides on.
 */
import { DescribeImagesCommand, type ECRClient, type ImageDetail, type ImageIdentifier } from '@aws-sdk/client-ecr';
import type { EcrImage } from '../core/target';
import { ValidationError } from '../shared/errors';
import { awsCall } from './call';
import { ecrClient } from './clients';

function toEcrImage(detail: ImageDetail, repositoryName: string): EcrImage | undefined {
  if (detail.imageDigest === undefined || detail.registryId === undefined) return undefined;
  return {
    registryId: detail.registryId,
    repositoryName: detail.repositoryName ?? repositoryName,
    digest: detail.imageDigest,
    tags: detail.imageTags ?? [],
    pushedAt: detail.imagePushedAt?.toISOString(),
    status: detail.imageStatus,
  };
}

function isNamed(error: unknown, name: string): boolean {
  return (error as { name?: unknown } | null)?.name === name;
}

function repositoryNotFound(repositoryName: string, cause: unknown): ValidationError {
  return new ValidationError('serviceConfig.ecrRepository', `ECR repository ${repositoryName} does not exist`, { cause });
}

/** One image of the repository by tag or digest; undefined when ECR has no such image. */
export async function findImage(
  repositoryName: string,
  imageId: ImageIdentifier,
  client: ECRClient = ecrClient(),
): Promise<EcrImage | undefined> {
  const out = await awsCall('ecr:DescribeImages', async () => {
    try {
      return await client.send(new DescribeImagesCommand({ repositoryName, imageIds: [imageId] }));
    } catch (error) {
      if (isNamed(error, 'ImageNotFoundException')) return undefined;
      if (isNamed(error, 'RepositoryNotFoundException')) throw repositoryNotFound(repositoryName, error);
      throw error;
    }
  });
  const detail = out?.imageDetails?.[0];
  return detail !== undefined ? toEcrImage(detail, repositoryName) : undefined;
}

/** Every image of the repository (all pages), without referrers such as signatures and attestations. */
export async function listImages(repositoryName: string, client: ECRClient = ecrClient()): Promise<EcrImage[]> {
  const images: EcrImage[] = [];
  let nextToken: string | undefined;
  do {
    const token = nextToken;
    const page = await awsCall('ecr:DescribeImages', async () => {
      try {
        return await client.send(new DescribeImagesCommand({ repositoryName, maxResults: 1000, nextToken: token }));
      } catch (error) {
        if (isNamed(error, 'RepositoryNotFoundException')) throw repositoryNotFound(repositoryName, error);
        throw error;
      }
    });
    for (const detail of page.imageDetails ?? []) {
      if (detail.subjectManifestDigest !== undefined) continue;
      const image = toEcrImage(detail, repositoryName);
      if (image !== undefined) images.push(image);
    }
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return images;
}
