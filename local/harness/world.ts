/**
 * A world: the local AWS stand-in on a frozen modelled clock, a dynalite state table, the
 * functions' environment as the CDK app sets it, fresh instances of the bundled handlers, and a
 * modelled Date for the whole process. One world at a time per process; dispose() stops it all.
 */
import './polyfill';
import { DeleteItemCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { loadConfig } from '../../lib/config';
import type { ServiceConfig } from '../../lambdas/shared/types';
import type { DefinitionSettings, TaskFunctionId } from '../../statemachine/definition';
import type { TaskHandler } from '../../statemachine/local';
import {
  type AwsModel,
  type RiderappSeed,
  type RiderappSeedOptions,
  type StandIn,
  type StandInEvent,
  startStandIn,
  type Timings,
} from '../stand-in/index';
import { type Bundles, buildBundles, importBundles, type LoadedFunction } from './bundles';
import { installModelledDate } from './modelled-date';
import { type DynamoProxy, startDynamoProxy } from './dynamo-proxy';
import { type LocalStateTable, putServicesConfig, startStateTable } from './state-table';

/** The project every world deploys for. */
export const PROJECT = 'riderapp';
/** Names of the riderapp story (the stand-in's seed uses the same). */
export const RIDERAPP = {
  account: '111122223333',
  region: 'us-east-1',
  cluster: 'riderapp-cluster',
  service: 'riderapp-service',
  ecrRepository: 'riderapp',
  alarmName: 'riderapp-unhealthy-hosts',
  topicArn: 'arn:aws:sns:us-east-1:111122223333:riderapp-rollback-notifications',
  stateTable: 'riderapp-rollback-state',
} as const;

/** Modelled time each Lambda invocation takes (cold starts aside). */
export const MODELLED_LAMBDA_LATENCY_MS = 200;

/** Options of {@link createWorld}. */
export interface WorldOptions {
  /** The riderapp story (its seed options), or false for an empty account that `seed` fills. @default {} */
  readonly riderapp?: RiderappSeedOptions | false;
  /** Seeds more resources once the stand-in runs (e.g. a service with a single revision). */
  readonly seed?: (model: AwsModel) => void;
  /** Modelled time at start. @default the real time now, rounded down to the minute */
  readonly start?: number | Date;
  /** Bundles to import. @default buildBundles() (built once per process) */
  readonly bundles?: Bundles;
  /** The services the deployment watches. @default riderapp-service with its UnHealthyHostCount alarm */
  readonly services?: readonly ServiceConfig[];
  /** Environment the functions get on top of the CDK app's defaults (e.g. COOLDOWN_MINUTES). */
  readonly env?: Readonly<Record<string, string>>;
  /** The stand-in's ECS enforces AWS's request throttling (local/stand-in/throttling.ts). @default false */
  readonly throttling?: boolean;
  /** Seed of the stand-in's ids and modelled draws (health check phases, Fargate start). @default 1 */
  readonly randomSeed?: number;
  /** The stand-in's modelled durations, when a scenario sets other values than AWS_TIMINGS. */
  readonly timings?: Partial<Timings>;
}

/** A running world. */
export interface World {
  readonly standIn: StandIn;
  readonly model: AwsModel;
  readonly riderapp?: RiderappSeed;
  readonly stateTable: LocalStateTable;
  /** The proxy the functions reach DynamoDB through (faults on "DynamoDB", "<Operation>(<item kind>)"; its call log). */
  readonly dynamo: DynamoProxy;
  /** The bundled functions, freshly imported for this world. */
  readonly functions: Readonly<Record<TaskFunctionId, LoadedFunction>>;
  /** Their handlers, as runLocally takes them. */
  readonly handlers: Readonly<Record<TaskFunctionId, TaskHandler>>;
  /** The environment the functions run with (set in process.env while the world lives). */
  readonly env: Readonly<Record<string, string>>;
  /** The state machine's substitutions, from the CDK app's defaults. */
  readonly settings: DefinitionSettings;
  readonly services: readonly ServiceConfig[];
  /** Every EventBridge event the stand-in emitted, in order. */
  readonly events: readonly StandInEvent[];
  /** Modelled now, epoch ms. */
  now(): number;
  /** Moves modelled time forward and runs what became due. */
  advance(ms: number): void;
  /** Advances in steps until an event matches; returns it (throws after `withinMs`). */
  advanceUntilEvent(match: (event: StandInEvent) => boolean, options?: { stepMs?: number; withinMs?: number }): StandInEvent;
  /**
   * The same world as new, without starting anything again: a fresh model and story on the same
   * stand-in (same endpoint), an empty state table with the services configuration, no faults, an
   * empty call log and no published messages. The functions stay imported, as warm Lambda
   * containers stay (whatever they keep between invocations is kept). Use the world it returns.
   */
  reset(): Promise<World>;
  /** The bundles the world's functions were imported from (the detector's included). */
  readonly bundles: Bundles;
  /** Runs `cleanup` first when the world is disposed. */
  addCleanup(cleanup: () => Promise<void> | void): void;
  /** Stops the stand-in and dynalite, restores Date and the environment. */
  dispose(): Promise<void>;
}

let worlds = 0;

/** The CDK app's defaults for project riderapp: the ASL settings and the functions' environment. */
export function deployedDefaults(): { settings: DefinitionSettings; env: Record<string, string> } {
  const config = loadConfig((key) => (key === 'project' ? PROJECT : undefined), { env: {} });
  return {
    settings: { pollIntervalSeconds: config.pollIntervalSeconds, stabilizationTimeoutSeconds: config.stabilizationTimeoutMinutes * 60 },
    env: {
      PROJECT_NAME: config.project,
      ALARM_ROLLBACK_WINDOW_MINUTES: String(config.alarmRollbackWindowMinutes),
      COOLDOWN_MINUTES: String(config.cooldownMinutes),
      LOCK_TTL_SECONDS: String(config.lockTtlSeconds),
      PROBE_ATTEMPTS: String(config.probe.attempts),
      PROBE_INTERVAL_SECONDS: String(config.probe.intervalSeconds),
      PROBE_TIMEOUT_SECONDS: String(config.probe.timeoutSeconds),
    },
  };
}

function setEnv(values: Readonly<Record<string, string>>): () => void {
  const previous = new Map<string, string | undefined>();
  for (const [name, value] of Object.entries(values)) {
    previous.set(name, process.env[name]);
    process.env[name] = value;
  }
  return () => {
    for (const [name, value] of previous) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

/** Deletes every item of the state table. */
async function emptyTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const { Items = [] } = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
  for (const { id } of Items) {
    if (id !== undefined) await client.send(new DeleteItemCommand({ TableName: tableName, Key: { id } }));
  }
}

/** Starts a world; everything it starts stops in dispose(). */
export async function createWorld(options: WorldOptions = {}): Promise<World> {
  const bundles = await (options.bundles ?? buildBundles());
  const cleanups: (() => Promise<void> | void)[] = [];
  const dispose = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  try {
    const standIn = await startStandIn({
      speed: 0,
      start: options.start ?? Math.floor(Date.now() / 60_000) * 60_000,
      riderapp: options.riderapp ?? {},
      throttling: options.throttling === true,
      ...(options.randomSeed === undefined ? {} : { seed: options.randomSeed }),
      ...(options.timings === undefined ? {} : { timings: options.timings }),
    });
    cleanups.push(() => standIn.stop());
    options.seed?.(standIn.model);
    const stateTable = await startStateTable(RIDERAPP.stateTable);
    cleanups.push(() => stateTable.close());
    const dynamo = await startDynamoProxy(stateTable.endpoint);
    cleanups.push(() => dynamo.close());

    const services = options.services ?? [
      { cluster: RIDERAPP.cluster, service: RIDERAPP.service, ecrRepository: RIDERAPP.ecrRepository, alarmNames: [RIDERAPP.alarmName] },
    ];
    await putServicesConfig(stateTable.client, stateTable.tableName, services);
    const defaults = deployedDefaults();
    const env: Record<string, string> = {
      ...standIn.env,
      // Anything the functions would call besides ECS/ECR/ELBv2/SNS/DynamoDB lands on the stand-in, never on AWS.
      AWS_ENDPOINT_URL: standIn.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      POWERTOOLS_SERVICE_NAME: 'ecs-auto-rollback',
      POWERTOOLS_METRICS_NAMESPACE: 'EcsAutoRollback',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'SILENT',
      ...defaults.env,
      STATE_TABLE_NAME: stateTable.tableName,
      TOPIC_ARN: standIn.riderapp?.topicArn ?? RIDERAPP.topicArn,
      ...options.env,
    };
    cleanups.push(setEnv(env));
    cleanups.push(installModelledDate(() => standIn.clock.now()));

    worlds += 1;
    const functions = await importBundles(bundles, `world-${worlds}`);
    const probeDeps = functions.ProbeHealth.deps;
    if (probeDeps !== undefined) {
      probeDeps['sleep'] = async (milliseconds: number) => {
        standIn.advance(milliseconds);
      };
    }
    const handlers = Object.fromEntries(Object.entries(functions).map(([id, fn]) => [id, fn.handler])) as Record<TaskFunctionId, TaskHandler>;

    const world = (): World => ({
      standIn,
      model: standIn.model,
      ...(standIn.riderapp === undefined ? {} : { riderapp: standIn.riderapp }),
      stateTable,
      dynamo,
      functions,
      handlers,
      env,
      settings: defaults.settings,
      services,
      events: standIn.model.emitted,
      now: () => standIn.clock.now(),
      advance: (ms) => standIn.advance(ms),
      advanceUntilEvent(match, { stepMs = 5_000, withinMs = 3_600_000 } = {}) {
        const seen = standIn.model.emitted.length;
        for (let waited = 0; waited <= withinMs; waited += stepMs) {
          const found = standIn.model.emitted.slice(seen).find(match);
          if (found !== undefined) return found;
          standIn.advance(stepMs);
        }
        throw new Error(`advanceUntilEvent: no matching event within ${withinMs / 1000} modelled seconds`);
      },
      async reset() {
        standIn.reset({
          start: options.start ?? Math.floor(standIn.clock.realNow() / 60_000) * 60_000,
          riderapp: options.riderapp ?? {},
          ...(options.randomSeed === undefined ? {} : { seed: options.randomSeed }),
          ...(options.timings === undefined ? {} : { timings: options.timings }),
        });
        options.seed?.(standIn.model);
        standIn.faults.clear();
        standIn.calls.clear();
        standIn.published.length = 0;
        dynamo.faults.clear();
        dynamo.calls.clear();
        // A client of its own with SDK retries: the table's client makes one attempt, and between cases its
        // idle keep-alive socket may have been closed by dynalite (ECONNRESET).
        const client = new DynamoDBClient({ endpoint: stateTable.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 5 });
        try {
          await emptyTable(client, stateTable.tableName);
          await putServicesConfig(client, stateTable.tableName, services);
        } finally {
          client.destroy();
        }
        return world();
      },
      bundles,
      addCleanup: (cleanup) => {
        cleanups.push(cleanup);
      },
      dispose,
    });
    return world();
  } catch (error) {
    await dispose();
    throw error;
  }
}
