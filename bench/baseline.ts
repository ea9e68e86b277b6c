/**
 * The seed's rollback pipeline against the stand-in, with real SDK v3 calls, each sleep advancing
 * the modelled clock: ECR describe-images → second-newest tag, describe-services, describe-task-
 * definition, register a copy with containerDefinitions[0].image swapped, update-service, the
 * `services-stable` waiter (15 s polls), then a target health check every 30 s.
 * Assumption: it starts at the trigger (no one has to notice, no pipeline queue), and its API
 * calls take no modelled time; both favour the baseline.
 */
import { DescribeImagesCommand, ECRClient, type ImageDetail } from '@aws-sdk/client-ecr';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient, RegisterTaskDefinitionCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { CallRecord, StandIn } from '../local/stand-in/index';
import {
  allTargetsHealthy,
  copyWithFirstImage,
  HEALTH_CHECK_INTERVAL_SECONDS,
  HEALTH_CHECK_MAX_ATTEMPTS,
  SERVICES_STABLE_DELAY_SECONDS,
  SERVICES_STABLE_MAX_ATTEMPTS,
  secondNewestImageTag,
  servicesStableVerdict,
} from './seed-pipeline';

/** Where the baseline acts. */
export interface BaselineTarget {
  readonly cluster: string;
  readonly service: string;
  readonly repository: string;
  /** Modelled epoch ms of the trigger. */
  readonly triggerTime: number;
}

/** One step of the pipeline, at its modelled offset from the trigger. */
export interface BaselineStep {
  readonly step: string;
  readonly atMs: number;
  readonly detail: string;
}

/** What the seed's pipeline did and when. */
export interface BaselineRun {
  /** The pipeline reached its end with the service stable and healthy. */
  readonly recovered: boolean;
  /** Modelled ms from the trigger to the waiter's success. */
  readonly stableMs?: number;
  /** Modelled ms from the trigger to the health check passing: recovery as the pipeline declares it. */
  readonly recoveredMs?: number;
  readonly taskDefinition?: string;
  readonly steps: readonly BaselineStep[];
  readonly calls: readonly CallRecord[];
  readonly error?: string;
}

/** Runs the seed's pipeline once. */
export async function runSeedBaseline(standIn: StandIn, target: BaselineTarget): Promise<BaselineRun> {
  const config = standIn.clientConfig({ maxAttempts: 3 });
  const ecr = new ECRClient(config);
  const ecs = new ECSClient(config);
  const elbv2 = new ElasticLoadBalancingV2Client(config);
  const callsBefore = standIn.calls.all().length;
  const steps: BaselineStep[] = [];
  const at = () => standIn.clock.now() - target.triggerTime;
  const step = (name: string, detail: string) => steps.push({ step: name, atMs: at(), detail });
  const sleep = (seconds: number) => standIn.advance(seconds * 1000);
  const { cluster, service } = target;
  let taskDefinition: string | undefined;
  try {
    const images: ImageDetail[] = [];
    let nextToken: string | undefined;
    do {
      const page = await ecr.send(new DescribeImagesCommand({ repositoryName: target.repository, nextToken }));
      images.push(...(page.imageDetails ?? []));
      nextToken = page.nextToken;
    } while (nextToken !== undefined);
    const tag = secondNewestImageTag(images);
    if (tag === undefined) throw new Error('no second-newest image');
    step('ecr describe-images', `sort_by(imagePushedAt)[-2].imageTags[0] = ${tag}`);

    const described = await ecs.send(new DescribeServicesCommand({ cluster, services: [service] }));
    const current = described.services?.[0]?.taskDefinition;
    if (current === undefined) throw new Error(`service ${service} not found`);
    const { taskDefinition: currentDefinition } = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: current }));
    if (currentDefinition === undefined) throw new Error(`task definition ${current} not found`);
    const firstImage = currentDefinition.containerDefinitions?.[0]?.image ?? '';
    const image = `${firstImage.replace(/[:@].*$/, '')}:${tag}`;
    step('ecs describe-services / describe-task-definition', `${current.split('/').at(-1)}, containerDefinitions[0].image = ${firstImage.split('/').at(-1)}`);

    const registered = await ecs.send(new RegisterTaskDefinitionCommand(copyWithFirstImage(currentDefinition, image)));
    taskDefinition = registered.taskDefinition?.taskDefinitionArn;
    if (taskDefinition === undefined) throw new Error('RegisterTaskDefinition returned no ARN');
    step('ecs register-task-definition', `${taskDefinition.split('/').at(-1)} with ${image.split('/').at(-1)}`);

    await ecs.send(new UpdateServiceCommand({ cluster, service, taskDefinition }));
    step('ecs update-service', `--task-definition ${taskDefinition.split('/').at(-1)}`);

    let stableMs: number | undefined;
    for (let attempt = 1; attempt <= SERVICES_STABLE_MAX_ATTEMPTS; attempt += 1) {
      const answer = await ecs.send(new DescribeServicesCommand({ cluster, services: [service] }));
      const verdict = servicesStableVerdict(answer.services ?? [], answer.failures ?? []);
      if (verdict === 'failure') throw new Error('services-stable: terminal failure');
      if (verdict === 'success') {
        stableMs = at();
        step('ecs wait services-stable', `stable after ${attempt} polls (one deployment, running == desired)`);
        break;
      }
      sleep(SERVICES_STABLE_DELAY_SECONDS);
    }
    if (stableMs === undefined) throw new Error(`services-stable: not stable after ${SERVICES_STABLE_MAX_ATTEMPTS} attempts`);

    const targetGroupArn = described.services?.[0]?.loadBalancers?.[0]?.targetGroupArn;
    if (targetGroupArn === undefined) throw new Error('the service has no target group to check');
    for (let attempt = 1; attempt <= HEALTH_CHECK_MAX_ATTEMPTS; attempt += 1) {
      const health = await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
      if (allTargetsHealthy(health.TargetHealthDescriptions ?? [])) {
        const recoveredMs = at();
        step('health check', `every target healthy after ${attempt} checks`);
        return { recovered: true, stableMs, recoveredMs, taskDefinition, steps, calls: standIn.calls.all().slice(callsBefore) };
      }
      sleep(HEALTH_CHECK_INTERVAL_SECONDS);
    }
    throw new Error(`health check: not healthy after ${HEALTH_CHECK_MAX_ATTEMPTS} attempts`);
  } catch (error) {
    return {
      recovered: false,
      ...(taskDefinition === undefined ? {} : { taskDefinition }),
      steps,
      calls: standIn.calls.all().slice(callsBefore),
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    };
  } finally {
    ecr.destroy();
    ecs.destroy();
    elbv2.destroy();
  }
}
