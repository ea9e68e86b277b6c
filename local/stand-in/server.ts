/**
 * One HTTP server on 127.0.0.1 for ECS, ECR, ELBv2 and SNS, and the read APIs of a deployed stack
 * (CloudFormation, CloudWatch, SQS, IAM, EventBridge, KMS: account.ts). JSON requests are routed by the
 * X-Amz-Target prefix; Query requests by Action and the credential scope's service name (or the
 * API Version). Every request ticks the model, passes through the faults and lands in the call log.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AccountResources,
  CLOUDFORMATION_VERSION,
  CLOUDFORMATION_XMLNS,
  CLOUDWATCH_TARGET_PREFIX,
  EVENTS_TARGET_PREFIX,
  handleCloudFormation,
  handleCloudWatch,
  handleEvents,
  handleIam,
  handleKms,
  handleSqs,
  IAM_VERSION,
  IAM_XMLNS,
  KMS_TARGET_PREFIX,
  SQS_TARGET_PREFIX,
} from './account';
import { type CallLog, type CallRecord, keyParams } from './calls';
import type { ContractLog } from './contract';
import { ECR_TARGET_PREFIX, handleEcr } from './ecr';
import { ECS_TARGET_PREFIX, handleEcs } from './ecs';
import { ELBV2_VERSION, ELBV2_XMLNS, handleElbv2 } from './elbv2';
import { type ConnectionFaultKind, type Faults, faultError } from './faults';
import type { RequestThrottle } from './throttling';
import type { AwsModel } from './model';
import {
  ApiError,
  credentialScopeService,
  formToObject,
  jsonError,
  jsonResponse,
  parseForm,
  parseJsonBody,
  queryError,
  queryResponse,
  type ServiceName,
  unknownOperation,
  type WireResponse,
} from './protocols';
import { handleSns, type PublishedMessage, SNS_VERSION, SNS_XMLNS } from './sns';

/** What the server serves from. */
export interface ServerDeps {
  readonly model: AwsModel;
  readonly faults: Faults;
  readonly calls: CallLog;
  readonly published: PublishedMessage[];
  /** Checks every request and answer against the SDK's API models, when given. */
  readonly contract?: ContractLog;
  /** ECS's API request throttling (token buckets on the modelled clock), when given. */
  readonly throttle?: RequestThrottle;
  /** More AWS JSON services, by X-Amz-Target prefix (e.g. Step Functions, served by the harness). */
  readonly jsonServices?: ReadonlyMap<string, JsonService>;
  /** The deployed stack's resources (CloudFormation, CloudWatch, SQS, IAM, EventBridge, KMS reads). */
  readonly account?: AccountResources;
}

/** An AWS JSON (1.0 or 1.1) service served next to the built-in ones. */
export interface JsonService {
  /** The service's name in the call log and the contract (e.g. 'SFN'). */
  readonly name: ServiceName;
  /** Answers one operation; throws ApiError for an AWS error answer. */
  handle(operation: string, input: Record<string, unknown>): unknown;
}

/** A running server. */
export interface StandInServer {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly port: number;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

interface Route {
  readonly service: ServiceName | 'unknown' | JsonService;
  readonly operation: string;
  readonly protocol: 'json' | 'query';
  readonly input: Record<string, unknown>;
  readonly form?: Map<string, string>;
  readonly xmlns: string;
}

const JSON_PREFIXES: Record<string, ServiceName> = {
  [ECS_TARGET_PREFIX]: 'ECS',
  [ECR_TARGET_PREFIX]: 'ECR',
  [SQS_TARGET_PREFIX]: 'SQS',
  [CLOUDWATCH_TARGET_PREFIX]: 'CloudWatch',
  [EVENTS_TARGET_PREFIX]: 'EventBridge',
  [KMS_TARGET_PREFIX]: 'KMS',
};
const QUERY_SCOPES: Record<string, ServiceName> = { elasticloadbalancing: 'ELBv2', sns: 'SNS', cloudformation: 'CloudFormation', iam: 'IAM' };
const QUERY_VERSIONS: Record<string, ServiceName> = {
  [ELBV2_VERSION]: 'ELBv2',
  [SNS_VERSION]: 'SNS',
  [CLOUDFORMATION_VERSION]: 'CloudFormation',
  [IAM_VERSION]: 'IAM',
};
const QUERY_XMLNS: Partial<Record<ServiceName, string>> = { SNS: SNS_XMLNS, ELBv2: ELBV2_XMLNS, CloudFormation: CLOUDFORMATION_XMLNS, IAM: IAM_XMLNS };

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function route(req: IncomingMessage, body: string, jsonServices: ServerDeps['jsonServices']): Route {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') {
    const dot = target.lastIndexOf('.');
    const prefix = dot < 0 ? target : target.slice(0, dot);
    const operation = dot < 0 ? target : target.slice(dot + 1);
    const service = JSON_PREFIXES[prefix] ?? jsonServices?.get(prefix);
    return { service: service ?? 'unknown', operation: service === undefined ? target : operation, protocol: 'json', input: parseJsonBody(body), xmlns: '' };
  }
  const form = parseForm(body);
  const scope = credentialScopeService(req.headers.authorization);
  const version = form.get('Version') ?? '';
  const service = (scope === undefined ? undefined : QUERY_SCOPES[scope]) ?? QUERY_VERSIONS[version] ?? 'unknown';
  const xmlns = (service === 'unknown' ? undefined : QUERY_XMLNS[service]) ?? 'https://stand-in.local/doc/';
  return { service, operation: form.get('Action') ?? '(no Action)', protocol: 'query', input: formToObject(form), form, xmlns };
}

function accountDeps(deps: ServerDeps): { model: AwsModel; account: AccountResources } {
  if (deps.account === undefined) throw new ApiError('UnknownOperationException', 'stand-in serves no deployed stack resources');
  return { model: deps.model, account: deps.account };
}

function dispatch(deps: ServerDeps, r: Route, notFound: boolean): unknown {
  const { model, published } = deps;
  if (typeof r.service === 'object') return r.service.handle(r.operation, r.input);
  switch (r.service) {
    case 'ECS':
      return handleEcs(r.operation, r.input, { model, notFound });
    case 'ECR':
      return handleEcr(r.operation, r.input, { model, notFound });
    case 'ELBv2':
      return handleElbv2(r.operation, r.form!, { model, notFound });
    case 'SNS':
      return handleSns(r.operation, r.form!, { model, notFound, published });
    case 'CloudFormation':
      return handleCloudFormation(r.operation, r.form!, accountDeps(deps));
    case 'IAM':
      return handleIam(r.operation, r.form!, accountDeps(deps));
    case 'CloudWatch':
      return handleCloudWatch(r.operation, r.input, accountDeps(deps));
    case 'SQS':
      return handleSqs(r.operation, r.input, accountDeps(deps));
    case 'EventBridge':
      return handleEvents(r.operation, r.input, accountDeps(deps));
    case 'KMS':
      return handleKms(r.operation, r.input, accountDeps(deps));
    default: {
      const what = r.protocol === 'json' ? `X-Amz-Target ${r.operation}` : `${r.operation} (API version ${String(r.input['Version'] ?? 'none')})`;
      throw unknownOperation('the service of', what, r.protocol);
    }
  }
}

function answer(r: Route, requestId: string, result: unknown): WireResponse {
  return r.protocol === 'json' ? jsonResponse(requestId, result) : queryResponse(r.xmlns, r.operation, requestId, result as Record<string, unknown>);
}

function fail(r: Pick<Route, 'protocol' | 'xmlns'>, requestId: string, error: ApiError): WireResponse {
  return r.protocol === 'json' ? jsonError(requestId, error) : queryError(r.xmlns, requestId, error);
}

/** The answer of a call whose connection a fault breaks: the socket is reset, nothing is written. */
const DROPPED = Symbol('dropped');
type Answer = WireResponse | typeof DROPPED;

/** Error codes the call log shows for calls that never got processed. */
const UNPROCESSED: Record<Exclude<ConnectionFaultKind, 'lost-after'>, string> = {
  'reset-before': 'ConnectionReset',
  hang: 'Hung',
};

/** Resolves when the client closes the connection (its own timeout) or after `ms` real milliseconds. */
function untilClosedOr(req: IncomingMessage, ms: number): Promise<void> {
  return new Promise((resolve) => {
    if (req.socket.destroyed) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      req.socket.off('close', done);
      resolve();
    }
    req.socket.once('close', done);
  });
}

async function handle(deps: ServerDeps, req: IncomingMessage, seen: (record: CallRecord) => void): Promise<Answer> {
  const requestId = randomUUID();
  const body = await readBody(req);
  deps.model.tick();
  const modelTime = deps.model.now();
  const realTime = deps.model.clock.realNow();
  let r: Route;
  try {
    r = route(req, body, deps.jsonServices);
  } catch (error) {
    const apiError = error instanceof ApiError ? error : new ApiError('SerializationException', String(error));
    return fail({ protocol: 'json', xmlns: '' }, requestId, apiError);
  }
  const serviceName = typeof r.service === 'object' ? r.service.name : r.service;
  const record = deps.calls.add({
    service: serviceName,
    operation: r.operation,
    modelTime,
    realTime,
    input: r.input,
    params: keyParams(r.input),
    status: 0,
    faults: [],
  });
  seen(record);
  let response: WireResponse;
  let connection: ConnectionFaultKind | undefined;
  try {
    const outcome = r.service === 'unknown' ? { latencyMs: 0, notFound: false, applied: [] } : deps.faults.take(serviceName as ServiceName, r.operation);
    record.faults = outcome.applied;
    if (outcome.latencyMs > 0) await sleep(outcome.latencyMs);
    if ('connection' in outcome && outcome.connection !== undefined) {
      connection = outcome.connection.kind;
      record.connection = connection;
      if (connection !== 'lost-after') {
        record.errorCode = UNPROCESSED[connection];
        if (connection === 'hang') await untilClosedOr(req, outcome.connection.hangMs);
        return DROPPED;
      }
    }
    if ('error' in outcome && outcome.error !== undefined) throw outcome.error;
    if (serviceName === 'ECS' && deps.throttle !== undefined && !deps.throttle.take(r.operation)) throw faultError('ECS', 'throttle');
    const result = dispatch(deps, r, outcome.notFound);
    deps.contract?.record(serviceName, r.operation, r.input, result);
    response = answer(r, requestId, result);
  } catch (error) {
    if (error instanceof ApiError) {
      response = fail(r, requestId, error);
    } else {
      console.error(`stand-in: ${serviceName} ${r.operation} failed`, error);
      response = fail(r, requestId, new ApiError('InternalFailure', `stand-in error in ${serviceName} ${r.operation}: ${String(error)}`, 500));
    }
  }
  record.status = response.status;
  if (response.status >= 300) {
    record.errorCode = r.protocol === 'json' ? (JSON.parse(response.body) as { __type: string }).__type : /<Code>([^<]*)<\/Code>/.exec(response.body)?.[1];
  }
  return connection === 'lost-after' ? DROPPED : response;
}

/** Resets the connection (the client sees ECONNRESET or "socket hang up"). */
export function dropConnection(res: ServerResponse): void {
  const socket = res.socket;
  if (socket === null) return;
  if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
  else socket.destroy();
}

/** Starts the server on 127.0.0.1 and a port the OS picks (unless `port` is given). */
export async function startServer(deps: ServerDeps, options: { port?: number } = {}): Promise<StandInServer> {
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let record: CallRecord | undefined;
    handle(deps, req, (r) => {
      record = r;
    })
      .then((response) => {
        if (response === DROPPED) return dropConnection(res);
        // The client gave up before the answer (its own request timeout): the call took effect, its answer is lost.
        if (record !== undefined && (req.socket.destroyed || res.destroyed)) record.answerUnread = true;
        res.writeHead(response.status, { ...response.headers, 'content-length': Buffer.byteLength(response.body) });
        res.end(response.body);
      })
      .catch((error: unknown) => {
        console.error('stand-in: request failed', error);
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(error));
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      }),
  };
}
