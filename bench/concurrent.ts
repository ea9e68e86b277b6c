/**
 * Figure 4b: 50 services in one stand-in, each with a failed deployment, 50 executions of the real
 * ASL at once with throttling injected. Modelled time is shared: it moves only when every running
 * execution waits (a Wait state, a Lambda's modelled latency, ProbeHealth's backoff), to the
 * earliest instant one of them waits for, so 50 executions see one consistent clock.
 */
import { BACKOFF_SLEEP } from '../lambdas/aws/client-options';
import type { ServiceConfig } from '../lambdas/shared/types';
import type { Bundles } from '../local/harness/bundles';
import { endingsOf, isDeploymentFailed } from '../local/harness/scenarios';
import { createWorld, MODELLED_LAMBDA_LATENCY_MS, type World } from '../local/harness/world';
import type { AwsModel, CallRecord, StandInEvent } from '../local/stand-in/index';
import { runLocally } from '../statemachine/local';
import type { RollbackState } from '../lambdas/shared/types';
import { countBy, notExactlyOnce, peakPerWindow } from './stats';

/**
 * The throttling injected for `count` executions: the first N calls to each service answer throttled,
 * and UpdateService three times per execution (the SDK's 3 attempts), so the ASL's Retry acts too.
 */
export function injectedThrottles(count: number): { readonly service: 'ECS' | 'ELBv2' | 'SNS'; readonly operation?: string; readonly times: number }[] {
  return [
    { service: 'ECS', operation: 'UpdateService', times: 3 * count },
    { service: 'ECS', times: count },
    { service: 'ELBv2', times: Math.ceil(count / 2) },
    { service: 'SNS', times: Math.ceil(count / 5) },
  ];
}

const CLUSTER = 'riderapp-cluster';

/** Name of the i-th service (1-based). */
export function fleetServiceName(i: number): string {
  return `riderapp-svc-${String(i).padStart(2, '0')}`;
}

/** What the 50 concurrent rollbacks did. */
export interface ConcurrentFigures {
  readonly services: number;
  readonly succeeded: number;
  readonly statuses: readonly [string, number][];
  /** Services whose accepted UpdateService count is not exactly one (name, count). */
  readonly updateServiceNotOnce: readonly [string, number][];
  /** Services without exactly one success notification. */
  readonly notificationNotOnce: readonly [string, number][];
  /** Services not back on their known-good revision. */
  readonly notRolledBack: readonly string[];
  /** Calls the stand-in answered with a throttling error. */
  readonly throttled: number;
  /** Throttles injected. */
  readonly injected: number;
  readonly retriedStates: number;
  /** Calls the SDK retried itself (reads after a throttle or a transient error), each after a backoff in modelled time. */
  readonly sdkRetries: number;
  readonly calls: number;
  readonly peakCallsPerRealSecond: number;
  readonly peakCallsPerModelledSecond: number;
  readonly realMs: number;
  /** Modelled ms from the triggers to the last execution's end. */
  readonly modelMs: number;
  readonly transitions: number;
  /** Executions started (one per failed deployment). */
  readonly executions: number;
  /** Services rolled back (UpdateService accepted) or notified more than once. */
  readonly duplicated: number;
  /** Modelled ms from the triggers to the end of the last execution that succeeded (the last service recovered). */
  readonly lastRecoveredModelMs: number;
  /** Most Lambda invocations in flight at once (the reserved/account concurrency the run needed). */
  readonly peakLambdaConcurrency: number;
  /** Most StartExecution calls in one modelled second (every failure event starts one at once). */
  readonly peakStartExecutionsPerSecond: number;
  /** Each execution that did not succeed: its service, how it ended (error) and the last states it entered. */
  readonly notSucceeded?: readonly { readonly service: string; readonly status: string; readonly error?: string; readonly lastStates: readonly string[] }[];
  /** Calls and throttles per ECS action, when the stand-in enforced AWS's throttling. */
  readonly throttledByAction?: Readonly<Record<string, { readonly calls: number; readonly throttled: number }>>;
}

/** Seeds `count` services like riderapp-service: on :14 (good), :13 in history, :15 (bad) registered. */
export function seedFleet(model: AwsModel, count: number): void {
  const now = model.now();
  for (let i = 1; i <= count; i += 1) {
    const name = fleetServiceName(i);
    const repository = model.createRepository(name, now - 90 * 86_400_000);
    for (const [revision, agoDays, behaviour] of [
      [13, 10, 'good'],
      [14, 2, 'good'],
      [15, 0.05, 'bad'],
    ] as const) {
      const at = now - agoDays * 86_400_000;
      model.pushImage(repository.name, { tags: [`v${revision}`], behaviour, pushedAt: at - 600_000 });
      model.registerTaskDefinition(
        {
          family: name,
          networkMode: 'awsvpc',
          requiresCompatibilities: ['FARGATE'],
          cpu: '256',
          memory: '512',
          containerDefinitions: [
            { name: 'app', image: `${repository.uri}:v${revision}`, essential: true, portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: 'tcp' }] },
          ],
        },
        { registeredAt: at - 300_000, revision },
      );
    }
    const tg = model.createTargetGroup({ name: `${name}-tg`, port: 8080, loadBalancerName: 'riderapp-alb' });
    model.createService({
      cluster: CLUSTER,
      name,
      taskDefinition: `${name}:14`,
      desiredCount: 2,
      loadBalancers: [{ targetGroupArn: tg.arn, containerName: 'app', containerPort: 8080 }],
      steadySince: now - 2 * 86_400_000,
      createdAt: now - 90 * 86_400_000,
    });
    model.addHistoricalDeployment(CLUSTER, name, {
      taskDefinition: `${name}:13`,
      startedAt: now - 10 * 86_400_000,
      finishedAt: now - 10 * 86_400_000 + 420_000,
      status: 'SUCCESSFUL',
    });
  }
}

/** Shared modelled time for concurrent executions: it advances only when every active one waits. */
export class SharedModelledTime {
  private active = 0;
  private readonly sleepers: { readonly until: number; readonly resolve: () => void }[] = [];

  public constructor(private readonly world: Pick<World, 'now' | 'advance'>) {}

  /** An execution starts. */
  public enter(): void {
    this.active += 1;
  }

  /** An execution ended. */
  public leave(): void {
    this.active -= 1;
    this.release();
  }

  /** Waits until modelled time reaches now + ms (while the others run). */
  public sleep(ms: number): Promise<void> {
    const until = this.world.now() + Math.max(0, ms);
    return new Promise<void>((resolve) => {
      this.sleepers.push({ until, resolve });
      this.release();
    });
  }

  private release(): void {
    if (this.sleepers.length === 0 || this.sleepers.length < this.active) return;
    const next = Math.min(...this.sleepers.map((s) => s.until));
    const now = this.world.now();
    if (next > now) this.world.advance(next - now);
    const due = this.sleepers.filter((s) => s.until <= this.world.now());
    for (const sleeper of due) this.sleepers.splice(this.sleepers.indexOf(sleeper), 1);
    for (const sleeper of due) sleeper.resolve();
  }
}

/** How the concurrent run throttles. */
export interface ConcurrentOptions {
  /**
   * `injected`: the first calls of each service answer throttled (injectedThrottles);
   * `aws`: the stand-in's ECS enforces AWS's request throttling (token buckets on the modelled
   * clock, local/stand-in/throttling.ts) and every Step Functions Retry waits its backoff in modelled
   * time. The SDK's own retries of reads (lambdas/aws/client-options.ts) back off in real time while the
   * modelled clock stands still, so they meet the same empty bucket; what refills it is modelled time
   * passing in Retry backoffs, Lambda latency and Wait states. @default 'injected'
   */
  readonly throttling?: 'injected' | 'aws';
}

/** Runs `count` concurrent rollbacks with throttling; the bench fails when any is lost, duplicated or not completed. */
export async function measureConcurrentRollbacks(bundles: Bundles, count = 50, options: ConcurrentOptions = {}): Promise<ConcurrentFigures> {
  const aws = options.throttling === 'aws';
  const services: ServiceConfig[] = Array.from({ length: count }, (_, i) => ({
    cluster: CLUSTER,
    service: fleetServiceName(i + 1),
    ecrRepository: fleetServiceName(i + 1),
    alarmNames: [],
  }));
  const world = await createWorld({
    riderapp: false,
    seed: (model) => seedFleet(model, count),
    services,
    bundles,
    ...(aws ? { throttling: true } : {}),
  });
  let cleanupSleep = () => {};
  try {
    const { model, standIn } = world;
    const seen = model.emitted.length;
    for (const s of services) model.deploy(CLUSTER, s.service, `${s.service}:15`);
    const failed = new Map<string, StandInEvent>();
    for (let waited = 0; failed.size < count && waited < 3_600_000; waited += 5_000) {
      for (const event of model.emitted.slice(seen).filter(isDeploymentFailed)) {
        const service = event.resources[0]?.split('/').at(-1);
        if (service !== undefined && !failed.has(service)) failed.set(service, event);
      }
      if (failed.size < count) world.advance(5_000);
    }
    if (failed.size < count) throw new Error(`only ${failed.size} of ${count} deployments failed`);

    const callsBefore = standIn.calls.all().length;
    const publishedBefore = standIn.published.length;
    if (!aws) for (const fault of injectedThrottles(count)) standIn.faults.throttle(fault.service, fault.operation, { times: fault.times });
    const time = new SharedModelledTime(world);
    const probeDeps = world.functions.ProbeHealth.deps;
    if (probeDeps !== undefined) probeDeps['sleep'] = (ms: number) => time.sleep(ms);
    // The SDK's own backoffs (reads retried after a throttle) wait in modelled time too, so the buckets refill while they wait.
    const sdkBackoffs: number[] = [];
    const globals = globalThis as Record<symbol, unknown>;
    const previousSleep = globals[BACKOFF_SLEEP];
    globals[BACKOFF_SLEEP] = (ms: number) => {
      sdkBackoffs.push(ms);
      return time.sleep(ms);
    };
    cleanupSleep = () => {
      if (previousSleep === undefined) delete globals[BACKOFF_SLEEP];
      else globals[BACKOFF_SLEEP] = previousSleep;
    };

    let inFlight = 0;
    let peakLambdaConcurrency = 0;
    const handlers = Object.fromEntries(
      Object.entries(world.handlers).map(([id, handler]) => [
        id,
        async (event: unknown, context: Parameters<typeof handler>[1]) => {
          inFlight += 1;
          peakLambdaConcurrency = Math.max(peakLambdaConcurrency, inFlight);
          try {
            return await handler(event, context);
          } finally {
            inFlight -= 1;
          }
        },
      ]),
    ) as typeof world.handlers;
    const endedAt: number[] = [];
    const startModel = world.now();
    const startReal = performance.now();
    const results = await Promise.all(
      [...failed.values()].map(async (event, i) => {
        const waited = new Set<string>();
        time.enter();
        try {
          return await runLocally({
            input: event,
            handlers,
            settings: world.settings,
            executionName: `bench-${i + 1}`,
            maxTransitions: 400,
            ...(aws ? { retrySleep: (_state: string, ms: number) => time.sleep(ms) } : {}),
            beforeTask: async (state: string, input: RollbackState) => {
              const stability = input?.stability;
              let ms = MODELLED_LAMBDA_LATENCY_MS;
              if (state === 'CheckStability' && stability?.status === 'IN_PROGRESS') {
                const key = JSON.stringify(stability);
                if (!waited.has(key)) ms += Math.max(0, stability.waitSeconds) * 1000;
                waited.add(key);
              }
              await time.sleep(ms);
            },
          });
        } finally {
          endedAt[i] = world.now();
          time.leave();
        }
      }),
    );
    const realMs = performance.now() - startReal;
    const modelMs = world.now() - startModel;
    for (let settle = 0; settle < 180; settle += 1) world.advance(5_000);

    const calls: CallRecord[] = standIn.calls.all().slice(callsBefore);
    const updates = calls.filter((c) => c.operation === 'UpdateService' && c.status < 300).map((c) => String(c.params['service']));
    const published = standIn.published.slice(publishedBefore);
    // a digest tells several services' endings at once
    const successes = published
      .flatMap(endingsOf)
      .filter((ending) => ending.status === 'success')
      .map((ending) => ending.service);
    const names = services.map((s) => s.service);
    const notRolledBack = names.filter((name) => !model.summary(CLUSTER, name).taskDefinition.endsWith(`/${name}:14`));
    return {
      services: count,
      succeeded: results.filter((r) => r.status === 'SUCCEEDED').length,
      statuses: countBy(results, (r) => r.status),
      updateServiceNotOnce: notExactlyOnce(names, updates),
      notificationNotOnce: notExactlyOnce(names, successes),
      notRolledBack,
      injected: aws ? 0 : injectedThrottles(count).reduce((n, f) => n + f.times, 0),
      throttled: calls.filter((c) => c.errorCode !== undefined && /Throttl/.test(c.errorCode)).length,
      retriedStates: results.reduce((n, r) => n + r.retried.length, 0),
      sdkRetries: sdkBackoffs.length,
      calls: calls.length,
      peakCallsPerRealSecond: peakPerWindow(calls.map((c) => c.realTime)),
      peakCallsPerModelledSecond: peakPerWindow(calls.map((c) => c.modelTime)),
      realMs,
      modelMs,
      transitions: results.reduce((n, r) => n + r.transitions, 0),
      executions: results.length,
      duplicated: new Set([...notExactlyOnce(names, updates), ...notExactlyOnce(names, successes)].filter(([, n]) => n > 1).map(([name]) => name)).size,
      lastRecoveredModelMs: Math.max(0, ...results.map((r, i) => (r.status === 'SUCCEEDED' ? (endedAt[i] ?? startModel) - startModel : 0))),
      peakLambdaConcurrency,
      peakStartExecutionsPerSecond: results.length,
      notSucceeded: results.flatMap((r, i) =>
        r.status === 'SUCCEEDED'
          ? []
          : [
              {
                service: [...failed.keys()][i] ?? '?',
                status: r.status,
                ...(r.error === undefined ? {} : { error: `${r.error.Error}: ${r.error.Cause.slice(0, 300)}` }),
                lastStates: r.statesEntered.slice(-6),
              },
            ],
      ),
      ...(standIn.throttle === undefined ? {} : { throttledByAction: Object.fromEntries(standIn.throttle.counts) }),
    };
  } finally {
    cleanupSleep();
    await world.dispose();
  }
}
