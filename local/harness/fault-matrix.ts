/**
 * The fault matrix: every (Task, operation) pair a rollback calls, read from a clean run's call
 * logs (the stand-in's and the DynamoDB proxy's, per item kind), crossed with five faults (throttle
 * once, persistent 5xx, connection reset before processing, answer lost after processing, a hang
 * past the client timeout), plus a crash before and after the work of every Task. Each case runs
 * the real ASL with the bundles on a fresh world, then a second trigger for the same service, and
 * is judged safe or unsafe by what a user would see.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createStateTable } from '../../lambdas/aws/state-table';
import type { TaskFunctionId } from '../../statemachine/definition';
import type { TaskHandler } from '../../statemachine/local';
import type { FaultService, PublishedMessage } from '../stand-in/index';
import type { CrashSpec, RollbackRun } from './run';
import { runRollback } from './run';
import { deployAndFail, notificationKindOf } from './scenarios';
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
 * Step Functions about (DescribeExecution) and takes over.
 */
export const MATRIX_STORIES = ['deployment-failed', 'image-target', 'stale-lock'] as const;
export type MatrixStory = (typeof MATRIX_STORIES)[number];

/** One (Task, operation) pair of a clean run, with the position of its first call in that run. */
export interface CallPair {
  readonly story: MatrixStory;
  readonly task: TaskFunctionId;
  readonly service: FaultService;
  /** For DynamoDB "<Operation>(<item kind>)". */
  readonly operation: string;
  /** 1-based index of the pair's first call among the run's calls of that (service, operation). */
  readonly nth: number;
}

/** One case of the matrix. */
export type MatrixCase =
  | { readonly kind: 'fault'; readonly pair: CallPair; readonly fault: MatrixFault }
  | { readonly kind: 'crash'; readonly story: MatrixStory; readonly task: TaskFunctionId; readonly when: CrashSpec['when'] };

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

/** A short, stable name for a case: "UpdateService ECS.UpdateService#1 lost-after", "crash-after Notify". */
export function caseName(c: MatrixCase): string {
  const story = c.kind === 'crash' ? c.story : c.pair.story;
  const prefix = story === 'deployment-failed' ? '' : `[${story}] `;
  return c.kind === 'crash' ? `${prefix}crash-${c.when} ${c.task}` : `${prefix}${c.pair.task} ${c.pair.service}.${c.pair.operation}#${c.pair.nth} ${c.fault}`;
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
  const client = new DynamoDBClient({
    endpoint: world.stateTable.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 5,
  });
  try {
    const taken = await createStateTable({ tableName: world.stateTable.tableName, client }).acquireLock(CLUSTER, SERVICE, STALE_HOLDER, 7200);
    if (!taken.acquired) throw new Error('the stale-lock story could not leave a lock');
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
): Promise<{ pairs: CallPair[]; tasks: TaskFunctionId[]; clean: RollbackRun }> {
  const world = await context.start({ env: MATRIX_ENV });
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
    return { pairs, tasks, clean };
  } finally {
    await world.dispose();
  }
}

/** Every case: pairs × faults, then a crash before and after each Task the clean run invoked. */
export function allCases(pairs: readonly CallPair[], tasks: readonly TaskFunctionId[], story: MatrixStory = 'deployment-failed'): MatrixCase[] {
  return [
    ...pairs.flatMap((pair) => MATRIX_FAULTS.map((fault): MatrixCase => ({ kind: 'fault', pair, fault }))),
    ...tasks.flatMap((task) => (['before', 'after'] as const).map((when): MatrixCase => ({ kind: 'crash', story, task, when }))),
  ];
}

/** The pairs of `more` that `known` lacks (same Task, service and operation), so a second story adds only what the first did not call. */
export function newPairs(known: readonly CallPair[], more: readonly CallPair[]): CallPair[] {
  return more.filter((p) => !known.some((k) => k.task === p.task && k.service === p.service && k.operation === p.operation));
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

/** Runs one case on a fresh world and judges it. */
export async function runCase(context: MatrixContext, c: MatrixCase): Promise<CaseResult> {
  const world = await context.start({ env: MATRIX_ENV });
  const story = c.kind === 'crash' ? c.story : c.pair.story;
  const target = storyTarget(context, story);
  try {
    const event = await storyInput(world, context, story);
    const publishedBefore = world.standIn.published.length;
    const standInBefore = world.standIn.calls.all().length;
    if (c.kind === 'fault') inject(world, c);
    const run = await runRollback(world, event, {
      executionName: 'faulted',
      ...(c.kind === 'crash' ? { crashes: [{ task: c.task, when: c.when }] } : {}),
    });
    const published = world.standIn.published.slice(publishedBefore);
    const calls = world.standIn.calls.all().slice(standInBefore);
    const accepted = (operation: string) => calls.filter((r) => r.operation === operation && r.service === 'ECS' && r.status >= 200 && r.status < 300);
    const publishLost = calls.some((r) => r.operation === 'Publish' && (r.connection === 'lost-after' || r.answerUnread === true)) || (c.kind === 'crash' && c.task === 'Notify' && c.when === 'after');
    const finalTaskDefinition = world.model.summary(CLUSTER, SERVICE).taskDefinition;

    world.standIn.faults.clear();
    world.dynamo.faults.clear();
    const second = await runRollback(
      world,
      { cluster: CLUSTER, service: SERVICE, target: { taskDefinition: short(context.target).replace(/:\d+$/, ':13') }, confirm: 'CONFIRM', requestedBy: 'fault-matrix' },
      { executionName: 'second' },
    );
    const secondRequest = second.result.output?.request;
    const secondTrigger = `${second.result.status}${secondRequest?.actionReason === undefined ? '' : ` ${secondRequest.actionReason}`}`;

    const unsafe = judge({
      status: run.result.status,
      published,
      updates: accepted('UpdateService').length,
      registrations: accepted('RegisterTaskDefinition').length,
      publishLost,
      finalTaskDefinition,
      target,
      failing: context.failing,
      secondBlocked: secondRequest?.actionReason === 'RollbackInProgress' || second.notifications.some((m) => m.message.includes('RollbackInProgress')),
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

/** What a case is judged on. */
export interface Observed {
  readonly status: string;
  readonly published: readonly PublishedMessage[];
  /** UpdateService calls ECS accepted (answer lost or not). */
  readonly updates: number;
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
  if (o.published.length === 0 && !alarmed) why.push('ended SUCCEEDED without any notification');
  for (const [i, kind] of kinds.entries()) {
    const message = o.published[i]?.message ?? '';
    if (kind === 'success' && !onTarget) why.push(`success notification but the service runs ${short(o.finalTaskDefinition)}`);
    if (kind === 'skipped') why.push(`a real rollback was skipped: ${/\b[A-Z][A-Za-z]+(?:InProgress|Duplicate|Claimed)\b/.exec(message)?.[0] ?? message.split('\n')[0]}`);
    if (kind === 'failure' && o.updates > 0 && /Changed: Nothing/.test(message)) why.push('failure notification says nothing changed, but UpdateService took effect');
    if (kind === 'failure' && o.updates === 0 && /Changed: UpdateService was called/.test(message)) why.push('failure notification says UpdateService was called, but it never took effect');
  }
  if (!onTarget && !untouched) why.push(`service left on ${short(o.finalTaskDefinition)}, neither the target nor untouched`);
  if (o.updates > 1) why.push(`${o.updates} ECS deployments started by one execution`);
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
