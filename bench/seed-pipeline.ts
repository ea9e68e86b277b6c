/**
 * The seed's rollback pipeline, step by step, as pure decisions: the ECR query
 * `sort_by(imageDetails,& imagePushedAt)[-2].imageTags[0]`, the task definition copy with
 * `containerDefinitions[0].image` swapped, the `aws ecs wait services-stable` acceptors and the
 * health check. bench/baseline.ts drives them with real SDK calls against the stand-in.
 */
import type { ImageDetail } from '@aws-sdk/client-ecr';
import type { RegisterTaskDefinitionCommandInput, Service, TaskDefinition } from '@aws-sdk/client-ecs';
import type { TargetHealthDescription } from '@aws-sdk/client-elastic-load-balancing-v2';

/** The `services-stable` waiter: DescribeServices every 15 s, at most 40 attempts (AWS CLI / SDK defaults). */
export const SERVICES_STABLE_DELAY_SECONDS = 15;
export const SERVICES_STABLE_MAX_ATTEMPTS = 40;
/** The seed's health check: every 30 s. */
export const HEALTH_CHECK_INTERVAL_SECONDS = 30;
export const HEALTH_CHECK_MAX_ATTEMPTS = 20;

/** `sort_by(imageDetails,& imagePushedAt)[-2].imageTags[0]`: the first tag of the second-newest image (undefined when there is none). */
export function secondNewestImageTag(images: readonly ImageDetail[]): string | undefined {
  const sorted = [...images].sort((a, b) => (a.imagePushedAt?.getTime() ?? 0) - (b.imagePushedAt?.getTime() ?? 0));
  return sorted.at(-2)?.imageTags?.[0];
}

// The seed's jq del() list exactly (placementConstraints included), kept apart from lambdas/core's on purpose: the baseline models the seed.
const SEED_DELETED_FIELDS = [
  'taskDefinitionArn',
  'revision',
  'status',
  'requiresAttributes',
  'placementConstraints',
  'compatibilities',
  'registeredAt',
  'registeredBy',
] as const;

/** The seed's `jq`: the task definition without its read-only fields, containerDefinitions[0].image replaced. */
export function copyWithFirstImage(taskDefinition: TaskDefinition, image: string): RegisterTaskDefinitionCommandInput {
  const copy: Record<string, unknown> = { ...taskDefinition };
  for (const field of SEED_DELETED_FIELDS) delete copy[field];
  const [first, ...rest] = taskDefinition.containerDefinitions ?? [];
  if (first === undefined) throw new Error('copyWithFirstImage: the task definition has no containers');
  copy.containerDefinitions = [{ ...first, image }, ...rest];
  return copy as unknown as RegisterTaskDefinitionCommandInput;
}

/** The waiter's verdict on one DescribeServices answer. */
export type WaiterVerdict = 'success' | 'failure' | 'retry';

/**
 * `services-stable` acceptors: failure when a service is MISSING, DRAINING or INACTIVE; success when
 * every service has exactly one deployment and runningCount == desiredCount (old tasks drained).
 */
export function servicesStableVerdict(services: readonly Service[], failures: readonly { reason?: string }[] = []): WaiterVerdict {
  if (failures.some((f) => f.reason === 'MISSING')) return 'failure';
  if (services.some((s) => s.status === 'DRAINING' || s.status === 'INACTIVE')) return 'failure';
  const unstable = services.filter((s) => !((s.deployments?.length ?? 0) === 1 && s.runningCount === s.desiredCount));
  return unstable.length === 0 ? 'success' : 'retry';
}

/** The health check passes when the target group has targets and every one is healthy. */
export function allTargetsHealthy(targets: readonly TargetHealthDescription[]): boolean {
  return targets.length > 0 && targets.every((t) => t.TargetHealth?.State === 'healthy');
}
