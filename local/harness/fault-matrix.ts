/**
 * The fault matrix: every (Task, operation) pair a rollback calls, read from a clean run's call
 * logs (the stand-in's and the DynamoDB proxy's, per item kind), crossed with five faults (throttle
 * once, persistent 5xx, connection reset before processing, answer lost after processing, a hang
 * past the client timeout), plus a crash before and after the work of every Task. Each case runs
 * the real ASL with the bundles on a fresh world, then a second trigger for the same service, and
 * is judged safe or unsafe by what a user would see.
 */
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { createStateTable } from '../../lambdas/aws/state-table';
import type { TaskFunctionId } from '../../statemachine/definition';
import type { TaskHandler } from '../../statemachine/local';
import type { CallRecord, FaultService, PublishedMessage, StandInEvent } from '../stand-in/index';
import { DEFAULT_DETECTOR_THRESHOLD } from '../../lambdas/core/task-stops';
import { attachDetector, type HarnessDetector } from './detector';
import type { CrashSpec, RollbackRun } from './run';
import { runRollback, stepFunctionsOf } from './run';
import { DETECTOR_WITHIN_MS, deployAndFail, notificationKindOf, SCENARIOS, type ScenarioName } from './scenarios';
import type { World, WorldOptions } from './world';

/** The faults crossed with every (Task, operation) pair. */
export const MATRIX_FAULTS = ['throttle-once', 'persistent-5xx', 'reset-before', 'lost-after', 'hang'] as const;
export type MatrixFault = (typeof MATRIX_FAULTS)[number];

/** Real ms a hanging call is held before the stand-in drops it (far past the matrix's client timeouts). */
export const MATRIX_HANG_MS = 3_000;

/**
 * The functions' environment in the matrix: short SDK timeouts so a hang costs little real time.
 * The names are those lambdas/aws/clients.ts reads; unknown names are ignored by the functions.
 */
export const MATRIX_ENV: Readonly<Record<string, string>> = {
  SDK_REQUEST_TIMEOUT_MS: '500',
  SDK_CONNECTION_TIMEOUT_MS: '500',
};

/**
 * A rollback the matrix faults. `deployment-failed`: ECS's SERVICE_DEPLOYMENT_FAILED of riderapp:15,
 * rolled back to riderapp:14 from the deployment history. `image-target`: after that failure, a
 * confirmed manual start to riderapp:14's image tag, which reads ECR and registers a revision
 * (riderapp:16): the operations the first story does not call. `stale-lock`: the deployment failure
 * while the service's lock is still held by an execution that no longer runs, which Prepare asks
 * Step Functions about (DescribeExecution) and takes over. `task-stop-detector`: the scenario
 * regression-after-complete, where the task-stop detector (its bundled Lambda fed by its rule) counts
 * riderapp:15's failed health-check stops and starts the rollback itself: the detector's own calls
 * (DescribeServices, the count and its record in DynamoDB, StartExecution) and whatever the rollback it
 * starts calls that the other stories do not.
 */
export const MATRIX_STORIES = ['deployment-failed', 'image-target', 'stale-lock', 'task-stop-detector', 'task-stop-in-flight'] as const;
export type MatrixStory = (typeof MATRIX_STORIES)[number];

/**
 * The stories whose rollback the task-stop detector starts, and the scenario (local/harness/scenarios.ts) each
 * plays. `task-stop-in-flight`: crash-loop-small-service, where the detector acts while riderapp:15's deployment
 * is still IN_PROGRESS and the rollback lets ECS roll it back (StopServiceDeployment, ROLLBACK, followed through
 * DescribeServiceDeployments): the operations no other story calls.
 */
export const DETECTOR_STORIES: Readonly<Partial<Record<MatrixStory, ScenarioName>>> = {
  'task-stop-detector': 'regression-after-complete',
  'task-stop-in-flight': 'crash-loop-small-service',
};

/** The task-stop detector's Lambda, by the name its function carries (lib/constructs/detector.ts). */
export const DETECTOR_FUNCTION = 'DetectTaskStops' as const;
/** A function the matrix faults: a Task of the state machine, or the detector. */
export type MatrixFunction = TaskFunctionId | typeof DETECTOR_FUNCTION;

/** One (function, operation) pair of a clean run, with the position of its first call in that run. */
export interface CallPair {
  readonly story: MatrixStory;
  readonly task: MatrixFunction;
  readonly service: FaultService;
  /** For DynamoDB "<Operation>(<item kind>)". */
  readonly operation: string;
  /** 1-based index of the pair's first call among the run's calls of that (service, operation). */
  readonly nth: number;
  /**
   * For the detector: the call's place among its invocation's calls of that operation (1, 2): the count and
   * then the record of the start are both UpdateItem(taskstops), and each is a pair of its own.
   */
  readonly inInvocation?: number;
}

/**
 * Which of the detector's invocations crashes: the one that counted the first stop of the clean run, the one
 * that counted the K-th and started the rollback (each on its first attempt, the task's first event), or every
 * invocation (a detector that cannot run at all: each event ends in the dead-letter queue).
 */
export type DetectorCrashPoint =
  | { readonly point: 'first-count' | 'start'; readonly taskId: string }
  | { readonly point: 'every' };

/** One case of the matrix. */
export type MatrixCase =
  | { readonly kind: 'fault'; readonly pair: CallPair; readonly fault: MatrixFault }
  | {
      readonly kind: 'crash';
      readonly story: MatrixStory;
      readonly task: MatrixFunction;
      readonly when: CrashSpec['when'];
      /** For the detector. */
      readonly at?: DetectorCrashPoint;
    };

/** What a case did, and whether it was safe. */
export interface CaseResult {
  readonly name: string;
  readonly status: string;
  /** Kinds of the notifications published during the first execution. */
  readonly notifications: readonly string[];
  readonly finalTaskDefinition: string;
  readonly secondTrigger: string;
  /** Why the case is unsafe; empty when safe. */
  readonly unsafe: readonly string[];
}

/** The ingredients of a matrix run (world factory and expectations of the riderapp story). */
export interface MatrixContext {
  /** Starts a fresh world (the bundles built once). */
  readonly start: (options?: Omit<WorldOptions, 'bundles'>) => Promise<World>;
  /** Task definition the failed deployment rolls back to (the deployment-failed story). */
  readonly target: string;
  /** Task definition the image-target story registers and deploys. @default riderapp:16 */
  readonly imageTarget?: string;
  /** Task definition the failed deployment deployed. */
  readonly failing: string;
}

const CLUSTER = 'riderapp-cluster';
const SERVICE = 'riderapp-service';

const CRASH_POINT_LABELS: Readonly<Record<DetectorCrashPoint['point'], string>> = {
  'first-count': 'the 1st counted stop',
  start: 'the K-th stop: it starts the rollback',
  every: 'every invocation',
};

/** A short, stable name for a case: "UpdateService ECS.UpdateService#1 lost-after", "crash-after Notify". */
export function caseName(c: MatrixCase): string {
  const story = c.kind === 'crash' ? c.story : c.pair.story;
  const prefix = story === 'deployment-failed' ? '' : `[${story}] `;
  if (c.kind === 'crash') return `${prefix}crash-${c.when} ${c.task}${c.at === undefined ? '' : ` (${CRASH_POINT_LABELS[c.at.point]})`}`;
  return `${prefix}${c.pair.task} ${c.pair.service}.${c.pair.operation}#${c.pair.nth} ${c.fault}`;
}

/** Whether the task-stop detector starts the story's rollback. */
export function isDetectorStory(story: MatrixStory): boolean {
  return DETECTOR_STORIES[story] !== undefined;
}

/** The world a story runs in: the matrix's short SDK timeouts, and a detector story's scenario world. */
export function storyWorld(story: MatrixStory): Omit<WorldOptions, 'bundles'> {
  const scenario = DETECTOR_STORIES[story];
  return { ...(scenario === undefined ? {} : SCENARIOS[scenario].world), env: MATRIX_ENV };
}

/** Sets the story up on a fresh world: the failed deployment, and the execution input that rolls it back. */
async function storyInput(world: World, context: MatrixContext, story: MatrixStory): Promise<unknown> {
  const event = deployAndFail(world, context.failing);
  if (story === 'deployment-failed') return event;
  if (story === 'stale-lock') {
    await holdLockForEndedExecution(world);
    return event;
  }
  const tag = world.riderapp?.revisions[14].tag;
  if (tag === undefined) throw new Error('the image-target story needs the riderapp seed');
  return { cluster: CLUSTER, service: SERVICE, target: { imageTag: tag }, confirm: 'CONFIRM', requestedBy: 'fault-matrix' };
}

/** The execution that left the stale lock: Step Functions does not know it (any more). */
export const STALE_HOLDER = 'arn:aws:states:us-east-1:111122223333:execution:riderapp-ecs-auto-rollback:ended-long-ago';

/** Leaves riderapp-service's lock held by {@link STALE_HOLDER}, as an execution stopped before it could release it does. */
async function holdLockForEndedExecution(world: World): Promise<void> {
  await withDirectStateTable(world, async (client) => {
    const taken = await createStateTable({ tableName: world.stateTable.tableName, client }).acquireLock(CLUSTER, SERVICE, STALE_HOLDER, 7200);
    if (!taken.acquired) throw new Error('the stale-lock story could not leave a lock');
  });
}

/** Runs `use` with a client of dynalite itself (not the faulting proxy the functions call), destroyed after. */
async function withDirectStateTable<T>(world: World, use: (client: DynamoDBClient) => Promise<T>): Promise<T> {
  const client = new DynamoDBClient({
    endpoint: world.stateTable.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 5,
  });
  try {
    return await use(client);
  } finally {
    client.destroy();
  }
}

/** The task definition a story's rollback ends on. */
function storyTarget(context: MatrixContext, story: MatrixStory): string {
  return story === 'image-target' ? (context.imageTarget ?? 'riderapp:16') : context.target;
}

/** The world's handlers, wrapped so each invocation records which Task made which calls. */
function tracing(world: World, seen: (task: TaskFunctionId, from: [number, number], to: [number, number]) => void): World {
  const marks = (): [number, number] => [world.standIn.calls.all().length, world.dynamo.calls.all().length];
  const handlers = Object.fromEntries(
    (Object.entries(world.handlers) as [TaskFunctionId, TaskHandler][]).map(([id, handler]) => [
      id,
      async (event: unknown, context: Parameters<TaskHandler>[1]) => {
        const from = marks();
        try {
          return await handler(event, context);
        } finally {
          seen(id, from, marks());
        }
      },
    ]),
  ) as Record<TaskFunctionId, TaskHandler>;
  return { ...world, handlers };
}

/** Runs a clean rollback and lists every (Task, operation) pair it called, in order, with its first call's position. */
export async function discoverPairs(
  context: MatrixContext,
  story: MatrixStory = 'deployment-failed',
): Promise<{ pairs: CallPair[]; tasks: TaskFunctionId[]; clean: RollbackRun; crashPoints: DetectorCrashPoint[] }> {
  if (isDetectorStory(story)) return discoverDetectorPairs(context, story);
  const world = await context.start(storyWorld(story));
  try {
    const event = await storyInput(world, context, story);
    const base: [number, number] = [world.standIn.calls.all().length, world.dynamo.calls.all().length];
    const pairs: CallPair[] = [];
    const tasks: TaskFunctionId[] = [];
    const counts = new Map<string, number>();
    const traced = tracing(world, (task, from, to) => {
      if (!tasks.includes(task)) tasks.push(task);
      const calls = [
        ...world.standIn.calls.all().slice(Math.max(from[0], base[0]), to[0]),
        ...world.dynamo.calls.all().slice(Math.max(from[1], base[1]), to[1]),
      ];
      for (const call of calls) {
        if (call.service === 'unknown') continue;
        const key = `${call.service}.${call.operation}`;
        const nth = (counts.get(key) ?? 0) + 1;
        counts.set(key, nth);
        if (!pairs.some((p) => p.task === task && p.service === call.service && p.operation === call.operation)) {
          pairs.push({ story, task, service: call.service, operation: call.operation, nth });
        }
      }
    });
    const clean = await runRollback(traced, event, { executionName: 'clean' });
    return { pairs, tasks, clean, crashPoints: [] };
  } finally {
    await world.dispose();
  }
}

/**
 * Every case: pairs × faults, then a crash before and after each Task the clean run invoked, and for a detector
 * story a crash of the detector's Lambda before and after each invocation that did its work (`crashPoints`).
 */
export function allCases(
  pairs: readonly CallPair[],
  tasks: readonly MatrixFunction[],
  story: MatrixStory = 'deployment-failed',
  crashPoints: readonly DetectorCrashPoint[] = [],
): MatrixCase[] {
  return [
    ...pairs.flatMap((pair) => MATRIX_FAULTS.map((fault): MatrixCase => ({ kind: 'fault', pair, fault }))),
    ...tasks
      .filter((task) => task !== DETECTOR_FUNCTION)
      .flatMap((task) => (['before', 'after'] as const).map((when): MatrixCase => ({ kind: 'crash', story, task, when }))),
    ...crashPoints.flatMap((at) =>
      (at.point === 'every' ? (['before'] as const) : (['before', 'after'] as const)).map(
        (when): MatrixCase => ({ kind: 'crash', story, task: DETECTOR_FUNCTION, when, at }),
      ),
    ),
  ];
}

/** The pairs of `more` that `known` lacks (same function, service and operation), so a second story adds only what the first did not call. */
export function newPairs(known: readonly CallPair[], more: readonly CallPair[]): CallPair[] {
  return more.filter(
    (p) => !known.some((k) => k.task === p.task && k.service === p.service && k.operation === p.operation && k.inInvocation === p.inInvocation),
  );
}

function inject(world: World, c: Extract<MatrixCase, { kind: 'fault' }>): void {
  const { service, operation, nth } = c.pair;
  const faults = service === 'DynamoDB' ? world.dynamo.faults : world.standIn.faults;
  switch (c.fault) {
    case 'throttle-once':
      faults.throttle(service, operation, { nth, times: 1 });
      return;
    case 'persistent-5xx':
      faults.serverError(service, operation, { nth });
      return;
    case 'reset-before':
      faults.resetBefore(service, operation, { nth, times: 1 });
      return;
    case 'lost-after':
      faults.loseAnswer(service, operation, { nth, times: 1 });
      return;
    case 'hang':
      faults.hang(service, operation, { nth, times: 1, hangMs: MATRIX_HANG_MS });
      return;
  }
}

const short = (arn: string | undefined): string => arn?.slice(arn.lastIndexOf('/') + 1) ?? '?';

/**
 * With the faults cleared, a second trigger for the same service right after (a manual start to riderapp:13):
 * how it ended, and whether it was skipped as RollbackInProgress (a leaked lock).
 */
async function triggerAgain(world: World, context: MatrixContext): Promise<{ secondTrigger: string; secondBlocked: boolean }> {
  world.standIn.faults.clear();
  world.dynamo.faults.clear();
  const second = await runRollback(
    world,
    { cluster: CLUSTER, service: SERVICE, target: { taskDefinition: short(context.target).replace(/:\d+$/, ':13') }, confirm: 'CONFIRM', requestedBy: 'fault-matrix' },
    { executionName: 'second' },
  );
  const request = second.result.output?.request;
  return {
    secondTrigger: `${second.result.status}${request?.actionReason === undefined ? '' : ` ${request.actionReason}`}`,
    secondBlocked: request?.actionReason === 'RollbackInProgress' || second.notifications.some((m) => m.message.includes('RollbackInProgress')),
  };
}

/** Runs one case on a fresh world and judges it. */
export async function runCase(context: MatrixContext, c: MatrixCase): Promise<CaseResult> {
  const story = c.kind === 'crash' ? c.story : c.pair.story;
  if (isDetectorStory(story)) return runDetectorCase(context, c, story);
  const world = await context.start(storyWorld(story));
  const target = storyTarget(context, story);
  try {
    const event = await storyInput(world, context, story);
    const publishedBefore = world.standIn.published.length;
    const standInBefore = world.standIn.calls.all().length;
    if (c.kind === 'fault') inject(world, c);
    const run = await runRollback(world, event, {
      executionName: 'faulted',
      ...(c.kind === 'crash' && c.task !== DETECTOR_FUNCTION ? { crashes: [{ task: c.task, when: c.when }] } : {}),
    });
    const published = world.standIn.published.slice(publishedBefore);
    const calls = world.standIn.calls.all().slice(standInBefore);
    const accepted = (operation: string) => calls.filter((r) => r.operation === operation && r.service === 'ECS' && r.status >= 200 && r.status < 300);
    const publishLost = calls.some((r) => r.operation === 'Publish' && (r.connection === 'lost-after' || r.answerUnread === true)) || (c.kind === 'crash' && c.task === 'Notify' && c.when === 'after');
    const finalTaskDefinition = world.model.summary(CLUSTER, SERVICE).taskDefinition;

    const { secondTrigger, secondBlocked } = await triggerAgain(world, context);

    const unsafe = judge({
      status: run.result.status,
      published,
      updates: accepted('UpdateService').length,
      registrations: accepted('RegisterTaskDefinition').length,
      publishLost,
      finalTaskDefinition,
      target,
      failing: context.failing,
      secondBlocked,
    });
    return {
      name: caseName(c),
      status: run.result.status === 'FAILED' ? `FAILED ${run.result.error?.Error ?? ''}`.trim() : run.result.status,
      notifications: published.map((m) => notificationKindOf(m) ?? '?'),
      finalTaskDefinition: short(finalTaskDefinition),
      secondTrigger,
      unsafe,
    };
  } finally {
    await world.dispose();
  }
}

/** Positions in the two call logs: [the stand-in's calls, the DynamoDB proxy's calls]. */
type Marks = readonly [number, number];
const marksOf = (world: World): Marks => [world.standIn.calls.all().length, world.dynamo.calls.all().length];

/**
 * Modelled time a detector story runs on after the detector started a rollback (or gave up): Lambda's two
 * retries of an invocation that failed around the start come 1 and then 2 minutes later
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html), each after its
 * event's delivery; a second rollback started by one of them would show.
 */
export const DETECTOR_AFTER_MS = 5 * 60_000;

/** A call of a clean run and the invocation (Task or detector) that made it. */
interface Invocation {
  readonly actor: MatrixFunction;
  readonly from: Marks;
  readonly to: Marks;
}

/** Lets the detector work: until it started a rollback and that ended (or DETECTOR_WITHIN_MS passed), then DETECTOR_AFTER_MS more. */
async function letDetectorWork(world: World, detector: HarnessDetector): Promise<void> {
  await detector.advance({ withinMs: DETECTOR_WITHIN_MS });
  await detector.advance({ withinMs: DETECTOR_AFTER_MS });
  await stepFunctionsOf(world).settle();
  await detector.idle();
}

function detectorScenario(story: MatrixStory): (typeof SCENARIOS)[ScenarioName] {
  const name = DETECTOR_STORIES[story];
  if (name === undefined) throw new Error(`${story} is not a story of the task-stop detector`);
  return SCENARIOS[name];
}

/**
 * A detector story's clean run: the detector attached, the scenario played, every call attributed to the
 * invocation (detector or Task) that made it. A call made while a detector invocation and a Task ran at once
 * (the invocation that started the execution records the start while Prepare runs) goes to the detector when
 * only the detector makes it (StartExecution, the taskstops items), else to the Task.
 */
async function discoverDetectorPairs(
  context: MatrixContext,
  story: MatrixStory,
): Promise<{ pairs: CallPair[]; tasks: TaskFunctionId[]; clean: RollbackRun; crashPoints: DetectorCrashPoint[] }> {
  const scenario = detectorScenario(story);
  const world = await context.start(storyWorld(story));
  const invocations: Invocation[] = [];
  try {
    const traced = tracing(world, (task, from, to) => invocations.push({ actor: task, from, to }));
    const detector = await attachDetector(traced, {
      ...scenario.detector,
      around: async (invoke) => {
        const from = marksOf(world);
        try {
          return await invoke();
        } finally {
          invocations.push({ actor: DETECTOR_FUNCTION, from, to: marksOf(world) });
        }
      },
    });
    try {
      scenario.prepare(world);
      const base = marksOf(world);
      await letDetectorWork(traced, detector);
      const clean = await detector.run();
      if (clean === undefined || detector.executions().length !== 1) {
        throw new Error(`${story}: the clean run started ${detector.executions().length} rollbacks, expected 1`);
      }
      const logs: readonly (readonly CallRecord[])[] = [world.standIn.calls.all(), world.dynamo.calls.all()];
      const nthOf = new Map<string, number>();
      const inInvocation = new Map<Invocation, Map<string, number>>();
      const pairs: CallPair[] = [];
      for (const [log, calls] of logs.entries()) {
        for (let index = base[log] ?? 0; index < calls.length; index++) {
          const call = calls[index];
          if (call === undefined || call.service === 'unknown') continue;
          const key = `${call.service}.${call.operation}`;
          const nth = (nthOf.get(key) ?? 0) + 1;
          nthOf.set(key, nth);
          const containing = invocations.filter((w) => (w.from[log] ?? 0) <= index && index < (w.to[log] ?? 0));
          const detectorOnly = call.operation === 'StartExecution' || call.operation.includes('(taskstops)');
          const preferred = containing.filter((w) => (w.actor === DETECTOR_FUNCTION) === detectorOnly);
          const owner = (preferred.length > 0 ? preferred : containing)[0];
          if (owner === undefined) continue;
          const own = inInvocation.get(owner) ?? new Map<string, number>();
          inInvocation.set(owner, own);
          const k = (own.get(key) ?? 0) + 1;
          own.set(key, k);
          const pair: CallPair = {
            story,
            task: owner.actor,
            service: call.service,
            operation: call.operation,
            nth,
            ...(owner.actor === DETECTOR_FUNCTION ? { inInvocation: k } : {}),
          };
          if (!pairs.some((p) => p.task === pair.task && p.service === pair.service && p.operation === pair.operation && p.inInvocation === pair.inInvocation)) {
            pairs.push(pair);
          }
        }
      }
      const order = (task: MatrixFunction) => invocations.findIndex((w) => w.actor === task);
      pairs.sort((a, b) => order(a.task) - order(b.task));
      const tasks = [...new Set(invocations.map((w) => w.actor))].filter((a): a is TaskFunctionId => a !== DETECTOR_FUNCTION);
      const firstCount = detector.results.find((r) => r.outcome === 'counted')?.taskId;
      const start = detector.results.find((r) => r.outcome === 'started')?.taskId;
      if (firstCount === undefined || start === undefined) throw new Error(`${story}: the clean run's detector neither counted nor started`);
      const crashPoints: DetectorCrashPoint[] = [{ point: 'first-count', taskId: firstCount }, { point: 'start', taskId: start }, { point: 'every' }];
      return { pairs, tasks, clean, crashPoints };
    } finally {
      detector.detach();
    }
  } finally {
    await world.dispose();
  }
}

/** The task a task state change event is about. */
const taskOfEvent = (event: StandInEvent): string => {
  const arn = (event.detail as { taskArn?: string }).taskArn ?? '';
  return arn.slice(arn.lastIndexOf('/') + 1);
};

/**
 * The tasks of `failing` that the stand-in stopped because the version is bad (what it did, not what the
 * detector concluded): failed to start, an essential container exited, killed for failing its ELB health checks.
 */
export function badVersionStops(events: readonly StandInEvent[], failing: string): Set<string> {
  const stops = events.filter((e) => {
    if (e['detail-type'] !== 'ECS Task State Change') return false;
    const d = e.detail;
    if (d.desiredStatus !== 'STOPPED' || !d.taskDefinitionArn.endsWith(`/${failing}`)) return false;
    return d.stopCode === 'TaskFailedToStart' || d.stopCode === 'EssentialContainerExited' || /^Task failed ELB health checks/.test(d.stoppedReason ?? '');
  });
  return new Set(stops.map(taskOfEvent));
}

/** A deployment's count as the detector left it in the state table. */
export interface CountRecord {
  readonly deploymentId: string;
  readonly stopCount: number;
  readonly taskIds: readonly string[];
  /** Task ids of the evidence list, in order. */
  readonly evidence: readonly string[];
}

/** The detector's counts in the state table (read from dynalite itself, not through the faulting proxy). */
async function countRecords(world: World): Promise<CountRecord[]> {
  return withDirectStateTable(world, async (client) => {
    const { Items = [] } = await client.send(new ScanCommand({ TableName: world.stateTable.tableName, ConsistentRead: true }));
    return Items.filter((item) => item.id?.S?.startsWith('taskstops#') === true).map((item) => ({
      deploymentId: item.id?.S?.split('#').pop() ?? '?',
      stopCount: Number(item.stopCount?.N ?? 0),
      taskIds: item.taskIds?.SS ?? [],
      evidence: (item.evidence?.L ?? []).map((e) => e.M?.taskId?.S ?? '?'),
    }));
  });
}

/** Runs one case of a detector story: the scenario with the detector attached, the fault or crash staged, and judges it. */
async function runDetectorCase(context: MatrixContext, c: MatrixCase, story: MatrixStory): Promise<CaseResult> {
  const scenario = detectorScenario(story);
  const world = await context.start(storyWorld(story));
  const at = c.kind === 'crash' && c.task === DETECTOR_FUNCTION ? c.at : undefined;
  const when = c.kind === 'crash' ? c.when : undefined;
  const firstEvents = new Map<string, StandInEvent>();
  const crash =
    at === undefined || when === undefined
      ? undefined
      : (event: StandInEvent, attempt: number): 'before' | 'after' | undefined => {
          if (at.point === 'every') return when;
          const taskId = taskOfEvent(event);
          if (!firstEvents.has(taskId)) firstEvents.set(taskId, event);
          return taskId === at.taskId && attempt === 0 && firstEvents.get(taskId) === event ? when : undefined;
        };
  const sfn = stepFunctionsOf(world);
  const detector = await attachDetector(world, { ...scenario.detector, ...(crash === undefined ? {} : { crash }) });
  try {
    scenario.prepare(world);
    const publishedBefore = world.standIn.published.length;
    const [standInBefore] = marksOf(world);
    if (c.kind === 'fault') inject(world, c);
    if (c.kind === 'crash' && c.task !== DETECTOR_FUNCTION) sfn.runOptions = { crashes: [{ task: c.task, when: c.when }] };
    await letDetectorWork(world, detector);
    sfn.runOptions = {};
    detector.detach();

    const executions = detector.executions();
    const record = executions[0];
    const run = record?.run;
    const published = world.standIn.published.slice(publishedBefore);
    const calls = world.standIn.calls.all().slice(standInBefore);
    const accepted = (operation: string) => calls.filter((r) => r.operation === operation && r.service === 'ECS' && r.status >= 200 && r.status < 300);
    const publishLost = calls.some((r) => r.operation === 'Publish' && (r.connection === 'lost-after' || r.answerUnread === true)) || (c.kind === 'crash' && c.task === 'Notify' && c.when === 'after');
    const finalTaskDefinition = world.model.summary(CLUSTER, SERVICE).taskDefinition;
    const counts = await countRecords(world);
    const badStops = badVersionStops(world.events, context.failing);
    const startInput = record === undefined ? undefined : (JSON.parse(record.input) as { detail?: { stops?: { taskId?: string }[] } });
    const startEvidence = (startInput?.detail?.stops ?? []).map((stop) => stop.taskId ?? '?');
    const deadLettered = detector.deadLettered.length;
    const failedInvocations = detector.results.filter((r) => r.outcome === 'error').length;

    const { secondTrigger, secondBlocked } = await triggerAgain(world, context);
    const status = run?.result.status ?? 'NO_ROLLBACK';
    const unsafe = [
      ...judgeDetector({
        executions: executions.length,
        deadLettered,
        counts,
        badStops,
        startEvidence,
        threshold: scenario.detector?.threshold ?? DEFAULT_DETECTOR_THRESHOLD,
      }),
      ...judge({
        status,
        published,
        updates: accepted('UpdateService').length,
        nativeRollbacks: accepted('StopServiceDeployment').length,
        registrations: accepted('RegisterTaskDefinition').length,
        publishLost,
        finalTaskDefinition,
        target: storyTarget(context, story),
        failing: context.failing,
        secondBlocked,
      }),
    ];
    const ending = run === undefined ? 'no rollback' : run.result.status === 'FAILED' ? `FAILED ${run.result.error?.Error ?? ''}`.trim() : run.result.status;
    return {
      name: caseName(c),
      status: `${ending}; detector: ${failedInvocations} failed invocation(s), ${deadLettered} event(s) dead-lettered`,
      notifications: published.map((m) => notificationKindOf(m) ?? '?'),
      finalTaskDefinition: short(finalTaskDefinition),
      secondTrigger,
      unsafe,
    };
  } finally {
    sfn.runOptions = {};
    detector.detach();
    await world.dispose();
  }
}

/** What a detector story's case is judged on, beyond {@link Observed}. */
export interface DetectorObserved {
  /** Executions the detector started. */
  readonly executions: number;
  /** Events that ended in the detector's dead-letter queue (its lost-triggers alarm). */
  readonly deadLettered: number;
  readonly counts: readonly CountRecord[];
  /** Tasks of the failing revision that the stand-in stopped because the version is bad. */
  readonly badStops: ReadonlySet<string>;
  /** Task ids of the stops the rollback's start names as its evidence. */
  readonly startEvidence: readonly string[];
  /** K. */
  readonly threshold: number;
}

/** The reasons a detector story's case is unsafe (none: safe) on top of {@link judge}'s. */
export function judgeDetector(o: DetectorObserved): string[] {
  const why: string[] = [];
  if (o.executions > 1) why.push(`${o.executions} rollbacks started by the detector`);
  if (o.executions === 0 && o.deadLettered === 0) why.push('no rollback started and no event dead-lettered: nobody hears of the bad version');
  for (const count of o.counts) {
    const distinct = new Set(count.evidence).size;
    if (count.stopCount !== count.taskIds.length || count.evidence.length !== count.taskIds.length || distinct !== count.evidence.length) {
      why.push(`deployment ${count.deploymentId}: count ${count.stopCount} for ${count.taskIds.length} tasks, ${count.evidence.length} evidence entries: a task counted twice`);
    }
    const wrong = count.taskIds.filter((task) => !o.badStops.has(task));
    if (wrong.length > 0) why.push(`counted ${wrong.join(', ')}, which did not stop because the version is bad (a false positive)`);
  }
  if (o.executions > 0) {
    const distinct = new Set(o.startEvidence).size;
    if (o.startEvidence.length !== o.threshold || distinct !== o.startEvidence.length) {
      why.push(`the rollback started on ${o.startEvidence.length} stops (${distinct} tasks), not on K = ${o.threshold}`);
    }
    const wrong = o.startEvidence.filter((task) => !o.badStops.has(task));
    if (wrong.length > 0) why.push(`the rollback started on stops of ${wrong.join(', ')}, which did not stop because the version is bad`);
  }
  return why;
}

/** What a case is judged on. */
export interface Observed {
  readonly status: string;
  readonly published: readonly PublishedMessage[];
  /** UpdateService calls ECS accepted (answer lost or not). */
  readonly updates: number;
  /** StopServiceDeployment (ROLLBACK) calls ECS accepted: ECS's own rollback of the in-flight deployment. @default 0 */
  readonly nativeRollbacks?: number;
  /** RegisterTaskDefinition calls ECS accepted. */
  readonly registrations: number;
  /** A Publish answer was lost (or Notify crashed after publishing). */
  readonly publishLost: boolean;
  readonly finalTaskDefinition: string;
  readonly target: string;
  readonly failing: string;
  readonly secondBlocked: boolean;
}

/** The reasons a case is unsafe (none: safe). */
export function judge(o: Observed): string[] {
  const why: string[] = [];
  const onTarget = o.finalTaskDefinition.endsWith(`/${o.target}`);
  const untouched = o.finalTaskDefinition.endsWith(`/${o.failing}`);
  const kinds = o.published.map((m) => notificationKindOf(m));
  const alarmed = o.status !== 'SUCCEEDED';
  const native = o.nativeRollbacks ?? 0;
  const changes = o.updates + native;
  if (o.published.length === 0 && !alarmed) why.push('ended SUCCEEDED without any notification');
  for (const [i, kind] of kinds.entries()) {
    const message = o.published[i]?.message ?? '';
    if (kind === 'success' && !onTarget) why.push(`success notification but the service runs ${short(o.finalTaskDefinition)}`);
    if (kind === 'skipped') why.push(`a real rollback was skipped: ${/\b[A-Z][A-Za-z]+(?:InProgress|Duplicate|Claimed)\b/.exec(message)?.[0] ?? message.split('\n')[0]}`);
    // The "Changed" line as Notify writes it ("  Changed     Nothing: ...", a padded label), or "Changed: ...".
    if (kind === 'failure' && changes > 0 && /Changed:?\s+Nothing/.test(message)) {
      why.push(`failure notification says nothing changed, but ${o.updates > 0 ? 'UpdateService' : 'StopServiceDeployment'} took effect`);
    }
    if (kind === 'failure' && o.updates === 0 && /Changed:?\s+UpdateService was called|UpdateService took effect/.test(message)) {
      why.push('failure notification says UpdateService was called, but it never took effect');
    }
    if (kind === 'failure' && native === 0 && /Changed:?\s+StopServiceDeployment|StopServiceDeployment \(ROLLBACK\) took effect/.test(message)) {
      why.push('failure notification says StopServiceDeployment was called, but it never took effect');
    }
  }
  if (!onTarget && !untouched) why.push(`service left on ${short(o.finalTaskDefinition)}, neither the target nor untouched`);
  if (changes > 1) why.push(`${changes} ECS deployments started by one execution${native > 0 ? ` (UpdateService ${o.updates}, StopServiceDeployment ${native})` : ''}`);
  if (o.registrations > 1) why.push(`${o.registrations} task definition revisions registered by one execution`);
  if (o.published.length > (o.publishLost ? 2 : 1)) why.push(`${o.published.length} notifications published`);
  if (o.secondBlocked) why.push('a second trigger right after was skipped as RollbackInProgress (lock leaked)');
  return why;
}

/** The matrix as a table: every case, then the totals (cases tried, cases safe). */
export function formatMatrix(results: readonly CaseResult[]): string {
  const rows = results.map((r) => [
    r.unsafe.length === 0 ? 'safe' : 'UNSAFE',
    r.name,
    r.status,
    r.notifications.join('+') || '-',
    r.finalTaskDefinition,
    r.secondTrigger,
    r.unsafe.join('; '),
  ]);
  const header = ['verdict', 'case', 'ending', 'notified', 'service on', 'second trigger', 'why unsafe'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const safe = results.filter((r) => r.unsafe.length === 0).length;
  return [
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    `cases tried: ${results.length}, cases safe: ${safe}, unsafe: ${results.length - safe}`,
  ].join('\n');
}
