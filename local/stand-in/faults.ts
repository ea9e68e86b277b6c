/**
 * Fault injection per operation: throttling, HTTP 500, added latency and unknown resources, for
 * the next N calls or forever. Each fault answers as the real service would, so the SDK raises
 * the error the Lambdas would see (ThrottlingException, ServerException with $fault "server", …).
 */
import { ApiError, type ServiceName } from './protocols';

export type FaultKind = 'throttle' | 'server-error' | 'latency' | 'not-found';

/** One fault to inject. */
export interface FaultSpec {
  readonly kind: FaultKind;
  /** Only calls to this service. @default every service */
  readonly service?: ServiceName;
  /** Only this operation (e.g. "UpdateService"). @default every operation */
  readonly operation?: string;
  /** How many matching calls it affects. @default Infinity (forever) */
  readonly times?: number;
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
  /** Removes this fault. */
  remove(): void;
}

/** What a call gets from the faults in force. */
export interface FaultOutcome {
  readonly latencyMs: number;
  readonly error?: ApiError;
  /** Answer as if every resource named by the call did not exist. */
  readonly notFound: boolean;
  /** Ids of the faults that affected the call. */
  readonly applied: readonly number[];
}

type Selector = { readonly times?: number } & Pick<FaultSpec, 'code' | 'message' | 'status'>;

/** The real error each service answers for throttling and for an internal failure. */
export function faultError(service: ServiceName, kind: 'throttle' | 'server-error', spec: Selector = {}): ApiError {
  const defaults: Record<ServiceName, Record<'throttle' | 'server-error', [string, number, string]>> = {
    ECS: { throttle: ['ThrottlingException', 400, 'Rate exceeded'], 'server-error': ['ServerException', 500, 'Service unavailable. Try again later.'] },
    ECR: { throttle: ['ThrottlingException', 400, 'Rate exceeded'], 'server-error': ['ServerException', 500, 'Service unavailable. Try again later.'] },
    ELBv2: { throttle: ['Throttling', 400, 'Rate exceeded'], 'server-error': ['InternalFailure', 500, 'An internal error occurred.'] },
    SNS: { throttle: ['Throttled', 429, 'Rate exceeded'], 'server-error': ['InternalError', 500, 'An internal service error occurred.'] },
    SFN: { throttle: ['ThrottlingException', 400, 'Rate exceeded'], 'server-error': ['InternalFailure', 500, 'An internal error occurred.'] },
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
    if (spec.kind === 'latency' && !(Number(spec.latencyMs) >= 0)) throw new RangeError('latencyMs: required for a latency fault');
    const fault: ActiveFault = {
      id: this.nextId++,
      spec,
      remaining: times,
      hits: 0,
      remove: () => this.remove(fault),
    };
    this.active.push(fault);
    return fault;
  }

  /** ThrottlingException (ECS, ECR), Throttling (ELBv2), Throttled (SNS) for the next `times` calls. */
  public throttle(service: ServiceName, operation?: string, options: Selector = {}): ActiveFault {
    return this.add({ ...options, kind: 'throttle', service, operation });
  }

  /** HTTP 500: ServerException (ECS, ECR), InternalFailure (ELBv2), InternalError (SNS). */
  public serverError(service: ServiceName, operation?: string, options: Selector = {}): ActiveFault {
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

  /** Removes every fault. */
  public clear(): void {
    this.active.length = 0;
  }

  /** The faults still in force. */
  public list(): readonly ActiveFault[] {
    return [...this.active];
  }

  /** Consumes the faults matching one call: every latency fault and the first error / not-found fault. */
  public take(service: ServiceName, operation: string): FaultOutcome {
    let latencyMs = 0;
    let error: ApiError | undefined;
    let notFound = false;
    const applied: number[] = [];
    for (const fault of [...this.active]) {
      const { spec } = fault;
      if (spec.service !== undefined && spec.service !== service) continue;
      if (spec.operation !== undefined && spec.operation !== operation) continue;
      if (spec.kind === 'latency') {
        latencyMs += spec.latencyMs ?? 0;
      } else if (error === undefined && !notFound) {
        if (spec.kind === 'not-found') notFound = true;
        else error = faultError(service, spec.kind, spec);
      } else {
        continue;
      }
      fault.hits += 1;
      fault.remaining -= 1;
      applied.push(fault.id);
      if (fault.remaining <= 0) this.remove(fault);
    }
    return { latencyMs, error, notFound, applied };
  }

  private remove(fault: ActiveFault): void {
    const index = this.active.indexOf(fault);
    if (index >= 0) this.active.splice(index, 1);
  }
}
