/**
 * What "previous" means (DESIGN.md "Target"), as pure decisions over facts the handler gathers:
 * 1. an explicit target of a manual start, 2. the last deployment ECS reports as successful
 * before the failing one, or the ACTIVE deployment while one is in flight, 3. the newest ECR
 * image pushed before the current one. First hit wins; no target, or the one that runs now: skip.
 */
import { ValidationError } from '../shared/errors';
import type { ImageRef, TargetResolution, TargetSource, TaskDefinitionRef } from '../shared/types';
import { REASONS } from './reasons';
import { shortTaskDefinition } from './stability';
import { parseImageReference } from './task-definition';

/** A deployment of the service as DescribeServices lists it. */
export interface EcsDeployment {
  /** `ecs-svc/…`: the id ECS deployment events carry as `deploymentId`. */
  readonly id: string;
  /** PRIMARY, ACTIVE or INACTIVE. */
  readonly status: string;
  readonly taskDefinition: string;
  readonly createdAt?: string;
  readonly rolloutState?: string;
}

/** The service as DescribeServices shows it. */
export interface ServiceSnapshot {
  readonly taskDefinition: string;
  /** ARN of the current service deployment (service deployments API). */
  readonly currentServiceDeployment?: string;
  readonly deployments: readonly EcsDeployment[];
}

/** One entry of ListServiceDeployments. */
export interface ServiceDeploymentSummary {
  readonly arn: string;
  readonly status: string;
  readonly createdAt?: string;
}

/** The parts of DescribeServiceDeployments that name the revision a deployment left running. */
export interface ServiceDeploymentDetail {
  readonly arn: string;
  readonly status: string;
  readonly targetServiceRevisionArn?: string;
  /** The revision ECS rolled back to, for ROLLBACK_SUCCESSFUL. */
  readonly rollbackServiceRevisionArn?: string;
}

/** One image of the project's ECR repository. */
export interface EcrImage {
  readonly registryId: string;
  readonly repositoryName: string;
  readonly digest: string;
  readonly tags: readonly string[];
  readonly pushedAt?: string;
  /** ACTIVE, ARCHIVED or ACTIVATING; only ACTIVE images can be pulled. */
  readonly status?: string;
}

/** Service deployment statuses after which the service ran a revision ECS called good. */
export const SUCCESSFUL_DEPLOYMENT_STATUSES = ['SUCCESSFUL', 'ROLLBACK_SUCCESSFUL'] as const;

function time(iso: string | undefined): number | undefined {
  if (iso === undefined) return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}

function newestFirst<T>(at: (item: T) => string | undefined): (a: T, b: T) => number {
  return (a, b) => (time(at(b)) ?? 0) - (time(at(a)) ?? 0);
}

/**
 * The deployment that failed, as DescribeServices lists it: the one whose id is the event's
 * `deploymentId`, else the PRIMARY one (alarm and manual triggers roll back what runs now).
 * The `ecs-svc/…` id is not part of the service deployment ARN; the two meet through time and
 * `service.currentServiceDeployment`.
 */
export function failingDeployment(service: ServiceSnapshot, deploymentId?: string): EcsDeployment | undefined {
  const byId = deploymentId !== undefined ? service.deployments.find((d) => d.id === deploymentId) : undefined;
  return byId ?? service.deployments.find((d) => d.status === 'PRIMARY');
}

/**
 * The newest service deployment ECS reports as successful (SUCCESSFUL or ROLLBACK_SUCCESSFUL)
 * created before the failing one; never the current service deployment itself.
 */
export function pickPreviousSuccessfulDeployment(
  history: readonly ServiceDeploymentSummary[],
  service: ServiceSnapshot,
  failing: EcsDeployment | undefined,
): ServiceDeploymentSummary | undefined {
  const before = time(failing?.createdAt);
  const statuses: readonly string[] = SUCCESSFUL_DEPLOYMENT_STATUSES;
  return history
    .filter((d) => statuses.includes(d.status) && d.arn !== service.currentServiceDeployment)
    .filter((d) => before === undefined || (time(d.createdAt) ?? Number.POSITIVE_INFINITY) < before)
    .sort(newestFirst((d) => d.createdAt))[0];
}

/** The service revision a successful deployment left running: its target, or what ECS rolled back to. */
export function goodRevisionArn(detail: ServiceDeploymentDetail): string | undefined {
  if (detail.status === 'SUCCESSFUL') return detail.targetServiceRevisionArn;
  if (detail.status === 'ROLLBACK_SUCCESSFUL') return detail.rollbackServiceRevisionArn;
  return undefined;
}

/** While a deployment is in flight: the newest ACTIVE deployment beside the failing one. */
export function pickActiveDeployment(service: ServiceSnapshot, failing: EcsDeployment | undefined): EcsDeployment | undefined {
  return service.deployments
    .filter((d) => d.status === 'ACTIVE' && d.id !== failing?.id)
    .sort(newestFirst((d) => d.createdAt))[0];
}

/** The ECR image each project image runs, where the listing knows it (by digest, else by tag). */
function findListed(image: string, listed: readonly EcrImage[]): EcrImage | undefined {
  const { tag, digest } = parseImageReference(image);
  if (digest !== undefined) return listed.find((i) => i.digest === digest);
  return tag !== undefined ? listed.find((i) => i.tags.includes(tag)) : undefined;
}

/** The digest each project image runs: its pinned digest, else its tag's digest in the listing. */
export function currentDigests(projectImages: readonly string[], listed: readonly EcrImage[]): (string | undefined)[] {
  return projectImages.map((image) => parseImageReference(image).digest ?? findListed(image, listed)?.digest);
}

/**
 * The newest image pushed before the current one (`sort_by(imagePushedAt)[-2]`, made safe): only
 * tagged, pullable images with a push time, never a digest that runs now (whatever its tags), and nothing
 * pushed after the current image (a re-pushed old image or a build not yet deployed). Nothing when
 * the current image is not in the listing.
 */
export function pickPreviousImage(listed: readonly EcrImage[], projectImages: readonly string[]): EcrImage | undefined {
  const running = projectImages.map((image) => findListed(image, listed));
  const pushTimes = running.map((image) => time(image?.pushedAt));
  if (pushTimes.length === 0 || pushTimes.some((t) => t === undefined)) return undefined;
  const boundary = Math.min(...(pushTimes as number[]));
  const runningDigests = new Set(running.map((image) => image?.digest));
  return listed
    .filter((image) => image.tags.length > 0 && (image.status ?? 'ACTIVE') === 'ACTIVE' && !runningDigests.has(image.digest))
    .filter((image) => (time(image.pushedAt) ?? Number.POSITIVE_INFINITY) < boundary)
    .sort(newestFirst((image) => image.pushedAt))[0];
}

/**
 * `registry/repository` to pin a rollback image to: the one the project's containers use now,
 * else the private ECR address of the repository.
 */
export function repositoryUriFor(projectImages: readonly string[], image: EcrImage, region: string): string {
  for (const projectImage of projectImages) {
    const reference = parseImageReference(projectImage);
    if (reference.registry !== undefined && reference.repository === image.repositoryName) {
      return `${reference.registry}/${reference.repository}`;
    }
  }
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `${image.registryId}.dkr.ecr.${region}.${suffix}/${image.repositoryName}`;
}

/** An ECR image as a rollback target, pinned by digest; `tag` names the tag asked for or its first tag. */
export function toImageRef(image: EcrImage, repositoryUri: string, tag?: string): ImageRef {
  const chosenTag = tag ?? image.tags[0];
  return {
    repositoryUri,
    digest: image.digest,
    ...(chosenTag !== undefined ? { tag: chosenTag } : {}),
    ...(image.pushedAt !== undefined ? { pushedAt: image.pushedAt } : {}),
  };
}

/**
 * An explicit task definition must be a revision of the family the service runs: another
 * family is another application (a mistyped family, or another service of the project).
 */
export function requireSameFamily(explicit: string, explicitFamily: string | undefined, current: TaskDefinitionRef, service: string): void {
  if (explicitFamily === current.family) return;
  throw new ValidationError(
    'request.target.taskDefinition',
    `${explicit} is of family ${explicitFamily ?? 'unknown'}, but ${service} runs family ${current.family} ` +
      `(${shortTaskDefinition(current.arn)}); name a revision of ${current.family}`,
  );
}

/** Everything the decision looks at; later steps stay empty once an earlier one found a target. */
export interface TargetFacts {
  readonly service: string;
  readonly ecrRepository: string;
  readonly current: TaskDefinitionRef;
  /** Digest each project container runs now (undefined where unknown). */
  readonly currentDigests: readonly (string | undefined)[];
  readonly explicitTaskDefinitionArn?: string;
  readonly explicitImage?: ImageRef;
  /** Task definition of the last successful deployment before the failing one. */
  readonly previousDeploymentTaskDefinitionArn?: string;
  /** Task definition of the ACTIVE deployment beside the failing one. */
  readonly activeDeploymentTaskDefinitionArn?: string;
  readonly previousImage?: ImageRef;
}

/** ResolveTarget's answer without its time stamp. */
export type TargetDecision = Omit<TargetResolution, 'resolvedAt'>;

type Candidate =
  | { readonly source: TargetSource; readonly reason: string; readonly why: string; readonly taskDefinitionArn: string }
  | { readonly source: TargetSource; readonly reason: string; readonly why: string; readonly image: ImageRef };

function firstCandidate(facts: TargetFacts): Candidate | undefined {
  if (facts.explicitTaskDefinitionArn !== undefined) {
    return {
      source: 'explicit-task-definition',
      reason: REASONS.EXPLICIT_TASK_DEFINITION,
      why: 'as requested',
      taskDefinitionArn: facts.explicitTaskDefinitionArn,
    };
  }
  if (facts.explicitImage !== undefined) {
    return { source: 'explicit-image', reason: REASONS.EXPLICIT_IMAGE, why: 'as requested', image: facts.explicitImage };
  }
  if (facts.previousDeploymentTaskDefinitionArn !== undefined) {
    return {
      source: 'deployment-history',
      reason: REASONS.PREVIOUS_SUCCESSFUL_DEPLOYMENT,
      why: 'the last deployment ECS reports as successful before the failing one',
      taskDefinitionArn: facts.previousDeploymentTaskDefinitionArn,
    };
  }
  if (facts.activeDeploymentTaskDefinitionArn !== undefined) {
    return {
      source: 'active-deployment',
      reason: REASONS.ACTIVE_DEPLOYMENT_IN_FLIGHT,
      why: 'the deployment still running beside the failing one',
      taskDefinitionArn: facts.activeDeploymentTaskDefinitionArn,
    };
  }
  if (facts.previousImage !== undefined) {
    return {
      source: 'ecr',
      reason: REASONS.PREVIOUS_ECR_IMAGE,
      why: `the newest image pushed to ${facts.ecrRepository} before the current one`,
      image: facts.previousImage,
    };
  }
  return undefined;
}

/** `riderapp:14@sha256:4f1c2d3e5a6b` */
export function imageLabel(image: ImageRef): string {
  const repository = image.repositoryUri.slice(image.repositoryUri.lastIndexOf('/') + 1);
  const tag = image.tag !== undefined ? `:${image.tag}` : '';
  const digest = image.digest !== undefined ? `@${image.digest.slice(0, 19)}` : '';
  return `${repository}${tag}${digest}`;
}

function isAlreadyOnTarget(candidate: Candidate, facts: TargetFacts): boolean {
  if ('taskDefinitionArn' in candidate) return candidate.taskDefinitionArn === facts.current.arn;
  const digest = candidate.image.digest;
  return digest !== undefined && facts.currentDigests.length > 0 && facts.currentDigests.every((d) => d === digest);
}

/** Decides the rollback target from the facts, in DESIGN.md's order; skip when none or already running. */
export function resolveTarget(facts: TargetFacts): TargetDecision {
  const currentLabel = shortTaskDefinition(facts.current.arn);
  const candidate = firstCandidate(facts);
  if (candidate === undefined) {
    return {
      outcome: 'skip',
      source: 'none',
      reason: REASONS.NO_PREVIOUS_VERSION,
      message:
        `No earlier version of ${facts.service} to roll back to: ECS reports no successful deployment before ` +
        `${currentLabel}, no other deployment is running, and ECR repository ${facts.ecrRepository} holds no ` +
        `image pushed before the current one. Nothing was changed.`,
      current: facts.current,
    };
  }
  const targetLabel = 'taskDefinitionArn' in candidate ? shortTaskDefinition(candidate.taskDefinitionArn) : `image ${imageLabel(candidate.image)}`;
  const target = 'taskDefinitionArn' in candidate ? { taskDefinitionArn: candidate.taskDefinitionArn } : { image: candidate.image };
  if (isAlreadyOnTarget(candidate, facts)) {
    return {
      outcome: 'skip',
      source: candidate.source,
      reason: REASONS.ALREADY_ON_TARGET,
      message: `${facts.service} already runs ${targetLabel} (${candidate.why}) in ${currentLabel}; nothing to roll back, nothing was changed.`,
      current: facts.current,
      ...target,
    };
  }
  return {
    outcome: 'rollback',
    source: candidate.source,
    reason: candidate.reason,
    message: `Rolling back ${facts.service} from ${currentLabel} to ${targetLabel}, ${candidate.why}.`,
    current: facts.current,
    ...target,
  };
}
