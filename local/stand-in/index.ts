/**
 * The local AWS stand-in: one HTTP server on 127.0.0.1 that unmodified SDK v3 clients reach
 * through AWS_ENDPOINT_URL_ECS / _ECR / _ELASTIC_LOAD_BALANCING_V2 / _SNS, backed by a
 * time-driven model of the seed's story, with fault injection and a call log.
 */
import { AccountResources } from './account';
import { CallLog } from './calls';
import { ModelClock } from './clock';
import { ContractLog } from './contract';
import type { EventListener } from './events';
import { Faults } from './faults';
import { AwsModel, type Timings } from './model';
import { type RiderappSeed, type RiderappSeedOptions, seedRiderapp } from './seed';
import { type JsonService, startServer } from './server';
import { RequestThrottle } from './throttling';
import type { PublishedMessage } from './sns';

export * from './account';
export { CallLog, type CallRecord } from './calls';
export { type ClockOptions, ModelClock } from './clock';
export { ContractLog, type ContractViolation, checkEvent, checkRequest, checkResponse } from './contract';
export * from './events';
export {
  type ActiveFault,
  CONNECTION_FAULTS,
  type ConnectionFaultKind,
  DEFAULT_HANG_MS,
  type FaultKind,
  type FaultService,
  type FaultSpec,
  Faults,
  faultError,
} from './faults';
export { dropConnection } from './server';
export * from './model';
export { ApiError, type ServiceName } from './protocols';
export { type BucketLimit, ECS_REQUEST_LIMITS, ECS_THROTTLING_SOURCE, RequestThrottle, UNLISTED_ACTION_LIMIT } from './throttling';
export type { JsonService } from './server';
export { type RiderappRevision, type RiderappSeed, type RiderappSeedOptions, seedRiderapp } from './seed';
export type { PublishedAttribute, PublishedMessage } from './sns';

/** Options of {@link startStandIn}. */
export interface StandInOptions {
  /** Modelled ms per real ms; 0 freezes time (tests advance it). @default 60 */
  readonly speed?: number;
  /** Modelled time at start. @default the real time now */
  readonly start?: number | Date;
  readonly timings?: Partial<Timings>;
  /** Seed of the id generator. @default 1 */
  readonly seed?: number;
  /** @default '111122223333' */
  readonly account?: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** Seed the riderapp story (true or its options). @default false */
  readonly riderapp?: boolean | RiderappSeedOptions;
  /** Real ms between background ticks, so events fire without requests; 0 disables. @default 200 when speed > 0, else 0 */
  readonly autoTickMs?: number;
  /** Enforce ECS's API request throttling (local/stand-in/throttling.ts) on the modelled clock. @default false */
  readonly throttling?: boolean;
  /** @default 0 (the OS picks) */
  readonly port?: number;
}

/** SDK v3 client configuration for the stand-in (endpoint, region, dummy credentials). */
export interface StandInClientConfig {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly maxAttempts?: number;
}

/** A running stand-in. */
export interface StandIn {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** AWS_ENDPOINT_URL_* for ECS, ECR, ELBv2 and SNS, plus AWS_REGION and dummy credentials. */
  readonly env: Readonly<Record<string, string>>;
  readonly model: AwsModel;
  readonly clock: ModelClock;
  readonly faults: Faults;
  /** ECS's request throttling, when enabled. */
  readonly throttle?: RequestThrottle;
  readonly calls: CallLog;
  /** What the requests and answers broke of AWS's API models (the SDK's schemas); empty when all conform. */
  readonly contract: ContractLog;
  /** Every SNS message published, in order. */
  readonly published: PublishedMessage[];
  /** The deployed stack's resources: stacks, alarms besides the model's, queues, rules, keys, roles' policies. */
  readonly account: AccountResources;
  /** The seeded story, when `riderapp` was set. */
  readonly riderapp?: RiderappSeed;
  /** Subscribes to the model's EventBridge events; returns the unsubscribe function. */
  onEvent(listener: EventListener): () => void;
  /** Client configuration for `new ECSClient(standIn.clientConfig({ maxAttempts: 1 }))`. */
  clientConfig(extra?: { maxAttempts?: number }): StandInClientConfig;
  /** Moves modelled time forward and runs what became due. */
  advance(ms: number): void;
  /** Serves one more AWS JSON service under an X-Amz-Target prefix (e.g. Step Functions from the harness). */
  serveJson(targetPrefix: string, service: JsonService): void;
  /**
   * Replaces the modelled account by a fresh one (new clock, seed, timings, story) behind the same
   * endpoint, call log and published messages: the bench runs many seeds against one server, so the
   * functions' SDK clients keep their endpoint. `model`, `clock` and `riderapp` then name the new one.
   */
  reset(options: Pick<StandInOptions, 'start' | 'timings' | 'seed' | 'riderapp'>): void;
  /** Stops the server, the background ticks and the clock's timers. */
  stop(): Promise<void>;
}

/** Dummy credentials the stand-in hands out (it does not check signatures). */
export const STAND_IN_CREDENTIALS = { accessKeyId: 'AKIASTANDIN000000000', secretAccessKey: 'stand-in-secret-access-key' } as const;

/** The AWS_ENDPOINT_URL_* variables SDK v3 reads for these clients (service id → suffix). */
export function standInEnv(endpoint: string, region: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_ECS: endpoint,
    AWS_ENDPOINT_URL_ECR: endpoint,
    AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2: endpoint,
    AWS_ENDPOINT_URL_SNS: endpoint,
    AWS_ENDPOINT_URL_SFN: endpoint,
    AWS_ENDPOINT_URL_CLOUDFORMATION: endpoint,
    AWS_ENDPOINT_URL_CLOUDWATCH: endpoint,
    AWS_ENDPOINT_URL_SQS: endpoint,
    AWS_ENDPOINT_URL_IAM: endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: endpoint,
    AWS_ENDPOINT_URL_KMS: endpoint,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: STAND_IN_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: STAND_IN_CREDENTIALS.secretAccessKey,
  };
}

/** Starts the stand-in on 127.0.0.1 (port from the OS). */
export async function startStandIn(options: StandInOptions = {}): Promise<StandIn> {
  // The real clock as it was at start (a harness may replace Date with the modelled one later).
  const realNow = Date.now;
  const create = (o: Pick<StandInOptions, 'start' | 'timings' | 'seed' | 'riderapp'>) => {
    const clock = new ModelClock({ speed: options.speed ?? 60, start: o.start ?? realNow(), realNow });
    const model = new AwsModel({ clock, account: options.account, region: options.region, seed: o.seed, timings: o.timings });
    const riderapp = o.riderapp === undefined || o.riderapp === false ? undefined : seedRiderapp(model, o.riderapp === true ? {} : o.riderapp);
    return { clock, model, riderapp };
  };
  let current = create(options);
  const faults = new Faults();
  const calls = new CallLog();
  const published: PublishedMessage[] = [];
  const contract = new ContractLog();
  const jsonServices = new Map<string, JsonService>();
  const account = new AccountResources();
  current.model.onEvent((event) => contract.recordEvent(event));
  const throttle = options.throttling === true ? new RequestThrottle(() => current.clock.now()) : undefined;
  const deps: {
    model: AwsModel;
    faults: Faults;
    calls: CallLog;
    published: PublishedMessage[];
    contract: ContractLog;
    jsonServices: Map<string, JsonService>;
    account: AccountResources;
    throttle?: RequestThrottle;
  } = {
    model: current.model,
    faults,
    calls,
    published,
    contract,
    jsonServices,
    account,
    ...(throttle === undefined ? {} : { throttle }),
  };
  const server = await startServer(deps, { port: options.port });
  const autoTickMs = options.autoTickMs ?? (current.clock.speed > 0 ? 200 : 0);
  const ticker = autoTickMs > 0 ? setInterval(() => current.model.tick(), autoTickMs) : undefined;
  ticker?.unref();
  return {
    endpoint: server.endpoint,
    env: standInEnv(server.endpoint, current.model.region),
    get model() {
      return current.model;
    },
    get clock() {
      return current.clock;
    },
    faults,
    ...(throttle === undefined ? {} : { throttle }),
    calls,
    contract,
    published,
    account,
    get riderapp() {
      return current.riderapp;
    },
    onEvent: (listener) => current.model.onEvent(listener),
    clientConfig: (extra = {}) => ({
      endpoint: server.endpoint,
      region: current.model.region,
      credentials: { ...STAND_IN_CREDENTIALS },
      ...(extra.maxAttempts === undefined ? {} : { maxAttempts: extra.maxAttempts }),
    }),
    advance: (ms) => current.model.advance(ms),
    serveJson: (targetPrefix, service) => {
      jsonServices.set(targetPrefix, service);
    },
    reset: (o) => {
      current.clock.dispose();
      current = create(o);
      current.model.onEvent((event) => contract.recordEvent(event));
      deps.model = current.model;
    },
    stop: async () => {
      if (ticker !== undefined) clearInterval(ticker);
      current.clock.dispose();
      await server.close();
    },
  };
}
