/**
 * Fault injection per operation: throttling, HTTP 500, added latency, unknown resources and broken
 * connections (reset before the call is processed, answer lost after it was processed, a call that
 * hangs), from the nth matching call on, for the next N calls or forever. Each fault answers as the
 * real service would, so the SDK raises the error the Lambdas would see (ThrottlingException,
 * ServerException with $fault "server", ECONNRESET, its own request timeout, …).
 */
import { ApiError, type ServiceName } from './protocols';

/** Where a fault can be injected: the stand-in's services, and DynamoDB through the proxy in front of dynalite. */
export type FaultService = ServiceName | 'DynamoDB';

/** Faults that break the connection instead of answering with an error. */
export type ConnectionFaultKind = 'reset-before' | 'lost-after' | 'hang';

export type FaultKind = 'throttle' | 'server-error' | 'latency' | 'not-found' | ConnectionFaultKind;

/** The connection faults: what the client sees. */
export const CONNECTION_FAULTS: Readonly<Record<ConnectionFaultKind, string>> = {
  'reset-before': 'the connection is reset before the call is processed (nothing happened)',
  'lost-after': 'the call is processed, then the connection is dropped before the answer (it happened, the client does not know)',
  hang: 'the call is never processed and never answered until the client gives up (or hangMs passes, then the connection is dropped)',
};

/** How long a hanging call is held at most, real ms, when the fault names no hangMs. */
export const DEFAULT_HANG_MS = 30_000;

/** One fault to inject. */
export interface FaultSpec {
  readonly kind: FaultKind;
  /** Only calls to this service. @default every service */
  readonly service?: FaultService;
  /** Only this operation (e.g. "UpdateService"; for DynamoDB "PutItem(lock)"). @default every operation */
  readonly operation?: string;
  /** The first matching call it affects, 1-based (earlier matching calls go through). @default 1 */
  readonly nth?: number;
  /** How many matching calls it affects. @default Infinity (forever) */
  readonly times?: number;
  /** Real milliseconds a hanging call is held before the connection is dropped (kind "hang"). @default DEFAULT_HANG_MS */
  readonly hangMs?: number;
  /** Real milliseconds added before answering (kind "latency"). */
  readonly latencyMs?: number;
  /** Overrides the error code (kinds "throttle", "server-error"). */
  readonly code?: string;
  readonly message?: string;
  readonly status?: number;
}

/** An injected fault; `remaining` counts down with each call it affects. */
export interface ActiveFault {
  readonly id: number;
  readonly spec: FaultSpec;
  remaining: number;
  hits: number;
  /** Matching calls seen, affected or not. */
  seen: number;
  /** Removes this fault. */
  remove(): void;
}

/** What a call gets from the faults in force. */
export interface FaultOutcome {
  readonly latencyMs: number;
  readonly error?: ApiError;
  /** Answer as if every resource named by the call did not exist. */
  readonly notFound: boolean;
  /** Break the connection instead of answering (and hold a hanging call for hangMs). */
  readonly connection?: { readonly kind: ConnectionFaultKind; readonly hangMs: number };
  /** Ids of the faults that affected the call. */
  readonly applied: readonly number[];
}

type Selector = { readonly times?: number; readonly nth?: number } & Pick<FaultSpec, 'code' | 'message' | 'status'>;

/** The real error each service answers for throttling and for an internal failure. */
export function faultError(service: FaultService, kind: 'throttle' | 'server-error', spec: Selector = {}): ApiError {
  const defaults: Record<FaultService, Record<'throttle' | 'server-error', [string, number, string]>> = {
    ECS: { throttle: ['ThrottlingException', 400, 'Rate exceeded'], 'server-error': ['ServerException', 500, 'Service unavailable. Try again later.'] },
    ECR: { throttle: ['ThrottlingException', 400, 'Rate exceeded'], 'server-error': ['ServerException', 500, 'Service unavailable. Try again later.'] },
    ELBv2: { throttle: ['Throttling', 400, 'Rate exceeded'], 'server-error': ['InternalFailure', 500, 'An internal error occurred.'] },
    SNS: { throttle: ['Throttled', 429, 'Rate exceeded'], 'server-error': ['InternalError', 500, 'An internal service error occurred.'] },
    SFN: { throttle: ['ThrottlingException', 400, 'Rate exceeded'], 'server-error': ['InternalFailure', 500, 'An internal error occurred.'] },
    CloudFormation: { throttle: ['Throttling', 400, 'Rate exceeded'], 'server-error': ['InternalFailure', 500, 'An internal error occurred.'] },
    CloudWatch: { throttle: ['Throttling', 400, 'Rate exceeded'], 'server-error': ['InternalServiceFault', 500, 'An internal error occurred.'] },
    SQS: { throttle: ['RequestThrottled', 400, 'Rate exceeded'], 'server-error': ['InternalError', 500, 'An internal error occurred.'] },
    IAM: { throttle: ['Throttling', 400, 'Rate exceeded'], 'server-error': ['ServiceFailure', 500, 'An internal error occurred.'] },
    EventBridge: { throttle: ['ThrottlingException', 400, 'Rate exceeded'], 'server-error': ['InternalException', 500, 'An internal error occurred.'] },
    KMS: { throttle: ['ThrottlingException', 400, 'Rate exceeded'], 'server-error': ['KMSInternalException', 500, 'An internal error occurred.'] },
    // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html
    DynamoDB: {
      throttle: ['ThrottlingException', 400, 'Throughput exceeds the current capacity for one or more global secondary indexes.'],
      'server-error': ['InternalServerError', 500, 'Internal server error'],
    },
  };
  const [code, status, message] = defaults[service][kind];
  return new ApiError(spec.code ?? code, spec.message ?? message, spec.status ?? status);
}

/** The faults in force; the server consults them on every call. */
export class Faults {
  private readonly active: ActiveFault[] = [];
  private nextId = 1;

  /** Injects a fault; returns its handle. */
  public add(spec: FaultSpec): ActiveFault {
    const times = spec.times ?? Number.POSITIVE_INFINITY;
    if (!(times > 0)) throw new RangeError(`times: must be > 0, got ${times}`);
    if (spec.nth !== undefined && !(Number.isInteger(spec.nth) && spec.nth >= 1)) throw new RangeError(`nth: must be an integer >= 1, got ${spec.nth}`);
    if (spec.kind === 'latency' && !(Number(spec.latencyMs) >= 0)) throw new RangeError('latencyMs: required for a latency fault');
    const fault: ActiveFault = {
      id: this.nextId++,
      spec,
      remaining: times,
      hits: 0,
      seen: 0,
      remove: () => this.remove(fault),
    };
    this.active.push(fault);
    return fault;
  }

  /** ThrottlingException (ECS, ECR), Throttling (ELBv2), Throttled (SNS) for the next `times` calls. */
  public throttle(service: FaultService, operation?: string, options: Selector = {}): ActiveFault {
    return this.add({ ...options, kind: 'throttle', service, operation });
  }

  /** HTTP 500: ServerException (ECS, ECR), InternalFailure (ELBv2), InternalError (SNS). */
  public serverError(service: FaultService, operation?: string, options: Selector = {}): ActiveFault {
    return this.add({ ...options, kind: 'server-error', service, operation });
  }

  /** Adds `latencyMs` real milliseconds before the answer. */
  public latency(service: ServiceName, operation: string | undefined, latencyMs: number, options: { times?: number } = {}): ActiveFault {
    return this.add({ ...options, kind: 'latency', service, operation, latencyMs });
  }

  /** Answers as if the resources the call names did not exist (the operation's own not-found answer). */
  public notFound(service: ServiceName, operation?: string, options: { times?: number } = {}): ActiveFault {
    return this.add({ ...options, kind: 'not-found', service, operation });
  }

  /** Resets the connection before the call is processed (the SDK sees ECONNRESET; nothing happened). */
  public resetBefore(service: FaultService, operation?: string, options: { times?: number; nth?: number } = {}): ActiveFault {
    return this.add({ ...options, kind: 'reset-before', service, operation });
  }

  /** Processes the call, then drops the connection before the answer (it took effect; the SDK sees a reset). */
  public loseAnswer(service: FaultService, operation?: string, options: { times?: number; nth?: number } = {}): ActiveFault {
    return this.add({ ...options, kind: 'lost-after', service, operation });
  }

  /** Holds the call unprocessed until the client gives up (its request timeout) or hangMs passes. */
  public hang(service: FaultService, operation?: string, options: { times?: number; nth?: number; hangMs?: number } = {}): ActiveFault {
    return this.add({ ...options, kind: 'hang', service, operation });
  }

  /** Removes every fault. */
  public clear(): void {
    this.active.length = 0;
  }

  /** The faults still in force. */
  public list(): readonly ActiveFault[] {
    return [...this.active];
  }

  /** Consumes the faults matching one call: every latency fault and the first error / not-found / connection fault. */
  public take(service: FaultService, operation: string): FaultOutcome {
    let latencyMs = 0;
    let error: ApiError | undefined;
    let notFound = false;
    let connection: FaultOutcome['connection'];
    const applied: number[] = [];
    for (const fault of [...this.active]) {
      const { spec } = fault;
      if (spec.service !== undefined && spec.service !== service) continue;
      if (spec.operation !== undefined && spec.operation !== operation) continue;
      fault.seen += 1;
      if (fault.seen < (spec.nth ?? 1)) continue;
      if (spec.kind === 'latency') {
        latencyMs += spec.latencyMs ?? 0;
      } else if (error === undefined && !notFound && connection === undefined) {
        if (spec.kind === 'not-found') notFound = true;
        else if (spec.kind === 'throttle' || spec.kind === 'server-error') error = faultError(service, spec.kind, spec);
        else connection = { kind: spec.kind, hangMs: spec.hangMs ?? DEFAULT_HANG_MS };
      } else {
        continue;
      }
      fault.hits += 1;
      fault.remaining -= 1;
      applied.push(fault.id);
      if (fault.remaining <= 0) this.remove(fault);
    }
    return { latencyMs, error, notFound, ...(connection === undefined ? {} : { connection }), applied };
  }

  private remove(fault: ActiveFault): void {
    const index = this.active.indexOf(fault);
    if (index >= 0) this.active.splice(index, 1);
  }
}
