/** ProbeHealth: prove the rollback healthy through its target groups and/or an HTTP health URL. */
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { describeService, targetGroupArnsFor } from '../aws/ecs-service';
import { httpGet, type ResolveHost } from '../aws/http-probe';
import { observeDeploymentTargets } from '../aws/target-health';
import {
  allTargetGroupsHealthy,
  backoffSeconds,
  describeHttpOutcome,
  describeTargetGroup,
  httpPassed,
  type ProbeSettings,
  reliedOnDeploymentCheck,
  summarizeHealth,
  type TargetGroupObservation,
} from '../core/health';
import { findDeployment } from '../core/stability';
import { redactUrl } from '../core/url-safety';
import { ConfigurationError, ServiceNotFoundError, ValidationError } from '../shared/errors';
import { assertServiceRequest, isRecord } from '../shared/narrow';
import type { DeploymentRef, HealthCheck, HealthResult, RollbackRequest, StabilityResult } from '../shared/types';

/** The parts of the state ProbeHealth reads. */
export interface ProbeHealthInput {
  readonly request: Pick<RollbackRequest, 'cluster' | 'service' | 'serviceConfig'>;
  readonly deployment: DeploymentRef;
  readonly stability?: Pick<StabilityResult, 'desiredCount' | 'message'>;
}

/** Clients, HTTP, DNS, sleep and clock, replaceable in tests (sleep: no real waiting; resolve: no real DNS). */
export interface ProbeHealthDeps {
  readonly ecs: () => ECSClient;
  readonly elbv2: () => ElasticLoadBalancingV2Client;
  readonly fetch: typeof fetch;
  readonly resolve: ResolveHost;
  /** Loopback addresses may be probed (local tests only: lambdas/aws/http-probe.ts ALLOW_LOOPBACK_ENV). */
  readonly allowLoopback: () => boolean;
  readonly sleep: (milliseconds: number) => Promise<void>;
  readonly now: () => Date;
  /**
   * The full health URL configured for cluster/service (the services configuration), which the
   * state carries redacted. Without it only a URL with nothing redacted can be probed.
   */
  readonly configuredHealthCheckUrl?: (cluster: string, service: string) => Promise<string | undefined>;
}

/** True when `url` is what redactUrl made of a URL with credentials, a query string or a fragment. */
function isRedacted(url: string): boolean {
  return /[?#]…$/.test(url) && redactUrl(url) === url;
}

/**
 * The URL to probe for the one the state carries. Prepare puts it there redacted (no query string,
 * fragment or credentials, since people read the state in the Step Functions console); then the
 * URL to probe is the configured one whose redaction it is. A URL with nothing redacted is probed
 * as it is. A configuration that no longer has it (changed since Prepare) is a ConfigurationError:
 * probing the URL without its query would judge the wrong thing.
 */
export async function healthUrlToProbe(
  shown: string,
  cluster: string,
  service: string,
  deps: Pick<ProbeHealthDeps, 'configuredHealthCheckUrl'>,
): Promise<string> {
  if (!isRedacted(shown)) return shown;
  const configured = await deps.configuredHealthCheckUrl?.(cluster, service);
  if (configured !== undefined && redactUrl(configured) === shown) return configured;
  throw new ConfigurationError(
    `request.serviceConfig.healthCheckUrl: the services configuration has no healthCheckUrl for ${cluster}/${service} that matches ${shown} (changed since the rollback started?)`,
  );
}

/** Narrows the ASL state; a missing field is a ValidationError naming it. */
export function narrowProbeHealthInput(event: unknown): ProbeHealthInput {
  const state = isRecord(event) ? event : {};
  const { request, deployment, stability } = state;
  assertServiceRequest(request);
  if (!isRecord(deployment) || typeof deployment.deploymentId !== 'string') {
    throw new ValidationError('deployment.deploymentId', 'is required');
  }
  return {
    request: request as unknown as ProbeHealthInput['request'],
    deployment: deployment as unknown as DeploymentRef,
    ...(isRecord(stability) ? { stability: stability as unknown as ProbeHealthInput['stability'] } : {}),
  };
}

async function withRetries<T>(
  settings: ProbeSettings,
  sleep: ProbeHealthDeps['sleep'],
  attempt: () => Promise<T>,
  passed: (value: T) => boolean,
): Promise<{ readonly last: T; readonly attempts: number }> {
  let last = await attempt();
  let attempts = 1;
  while (!passed(last) && attempts < settings.attempts) {
    await sleep(backoffSeconds(attempts, settings.intervalSeconds) * 1000);
    last = await attempt();
    attempts += 1;
  }
  return { last, attempts };
}

const after = (attempts: number) => (attempts === 1 ? '' : ` after ${attempts} attempts`);

async function probeTargetGroups(
  input: ProbeHealthInput,
  targetGroupArns: readonly string[],
  expected: number,
  settings: ProbeSettings,
  deps: ProbeHealthDeps,
): Promise<{ readonly checks: HealthCheck[]; readonly attempts: number }> {
  const { last, attempts } = await withRetries<readonly TargetGroupObservation[]>(
    settings,
    deps.sleep,
    async () =>
      (
        await observeDeploymentTargets(input.request.cluster, input.deployment.deploymentId, targetGroupArns, {
          ecs: deps.ecs(),
          elbv2: deps.elbv2(),
        })
      ).groups,
    (groups) => allTargetGroupsHealthy(groups, expected),
  );
  const checks = last.map((group): HealthCheck => {
    const ok = expected > 0 && group.healthy >= expected;
    return {
      kind: 'target-group',
      ok,
      subject: group.targetGroupArn,
      detail: `${describeTargetGroup(group, expected)}${ok ? '' : after(attempts)}`,
    };
  });
  return { checks, attempts };
}

async function probeUrl(
  url: string,
  settings: ProbeSettings,
  deps: ProbeHealthDeps,
): Promise<{ readonly checks: HealthCheck[]; readonly attempts: number }> {
  const { last, attempts } = await withRetries(
    settings,
    deps.sleep,
    () => httpGet(url, { timeoutSeconds: settings.timeoutSeconds, fetch: deps.fetch, resolve: deps.resolve, allowLoopback: deps.allowLoopback() }),
    (outcome) => httpPassed(outcome) || outcome.kind === 'refused',
  );
  const subject = redactUrl(url);
  const check: HealthCheck = { kind: 'http', ok: httpPassed(last), subject, detail: describeHttpOutcome(last, attempts) };
  return { checks: [check], attempts };
}

/**
 * Probes what is configured: the deployment's tasks in the target group(s) (configured, else the
 * service's own) and/or GET healthCheckUrl; both must pass; with neither, relies on the
 * deployment state CheckStability saw.
 */
export async function probeHealth(
  input: ProbeHealthInput,
  settings: ProbeSettings,
  deps: ProbeHealthDeps,
): Promise<HealthResult> {
  const { cluster, service, serviceConfig } = input.request;
  const lookup = await describeService(cluster, service, deps.ecs());
  if (!lookup.found) throw new ServiceNotFoundError(`ECS service ${service} in ${cluster}: ${lookup.reason}`);
  const targetGroupArns = targetGroupArnsFor(serviceConfig?.targetGroupArn, lookup.service);
  const healthCheckUrl = serviceConfig?.healthCheckUrl ? await healthUrlToProbe(serviceConfig.healthCheckUrl, cluster, service, deps) : undefined;
  const deployment = findDeployment(lookup.service.deployments ?? [], input.deployment.deploymentId);
  const expected = input.stability?.desiredCount || deployment?.desiredCount || lookup.service.desiredCount || 0;

  const probes = await Promise.all([
    targetGroupArns.length > 0 ? probeTargetGroups(input, targetGroupArns, expected, settings, deps) : undefined,
    healthCheckUrl ? probeUrl(healthCheckUrl, settings, deps) : undefined,
  ]);
  const ran = probes.filter((p) => p !== undefined);
  const checkedAt = deps.now().toISOString();
  if (ran.length === 0) {
    const subject = `${input.deployment.deploymentId} (${service})`;
    return summarizeHealth([reliedOnDeploymentCheck(subject, input.stability?.message)], 0, checkedAt);
  }
  return summarizeHealth(
    ran.flatMap((p) => p.checks),
    Math.max(...ran.map((p) => p.attempts)),
    checkedAt,
  );
}
