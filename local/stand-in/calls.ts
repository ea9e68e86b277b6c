/**
 * The call log: every request the stand-in answered, with its modelled and real time, the key
 * parameters, the outcome and the faults that affected it.
 */
import type { ConnectionFaultKind, FaultService } from './faults';

/** One request. */
export interface CallRecord {
  /** 1, 2, 3, … in arrival order. */
  readonly seq: number;
  readonly service: FaultService | 'unknown';
  readonly operation: string;
  /** Modelled time of arrival, epoch ms. */
  readonly modelTime: number;
  /** Real time of arrival, epoch ms. */
  readonly realTime: number;
  /** The parsed input: JSON body (ECS, ECR) or flat form parameters (ELBv2, SNS). */
  readonly input: Record<string, unknown>;
  /** The parameters a reader cares about (cluster, service, taskDefinition, TopicArn, …). */
  readonly params: Record<string, unknown>;
  /** HTTP status of the answer. */
  status: number;
  /** Error code when the answer was an error. */
  errorCode?: string;
  /** Ids of the injected faults that affected this call. */
  faults: readonly number[];
  /** The connection fault that broke this call's connection (a "lost-after" call was processed: its status is the real one). */
  connection?: ConnectionFaultKind;
  /** The client had closed the connection (its own timeout) before this processed call's answer was written: the answer is lost. */
  answerUnread?: boolean;
}

const KEY_PARAMS = [
  'cluster',
  'service',
  'services',
  'taskDefinition',
  'family',
  'desiredCount',
  'forceNewDeployment',
  'startedBy',
  'serviceName',
  'desiredStatus',
  'tasks',
  'serviceDeploymentArns',
  'serviceRevisionArns',
  'status',
  'resourceArn',
  'repositoryName',
  'repositoryNames',
  'imageIds',
  'nextToken',
  'TargetGroupArn',
  'TargetGroupArns.member.1',
  'Names.member.1',
  'LoadBalancerArn',
  'TopicArn',
  'Subject',
] as const;

/** The key parameters of an input (a fixed list of well-known names). */
export function keyParams(input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of KEY_PARAMS) if (input[key] !== undefined) out[key] = input[key];
  return out;
}

/** Every call, in order; helpers for the questions tests ask. */
export class CallLog {
  private readonly records: CallRecord[] = [];

  /** Appends a record (the server calls this). */
  public add(record: Omit<CallRecord, 'seq'>): CallRecord {
    const full: CallRecord = { ...record, seq: this.records.length + 1 };
    this.records.push(full);
    return full;
  }

  /** Every call so far. */
  public all(): readonly CallRecord[] {
    return [...this.records];
  }

  /** Calls of one operation, optionally of one service. */
  public of(operation: string, service?: FaultService): CallRecord[] {
    return this.records.filter((r) => r.operation === operation && (service === undefined || r.service === service));
  }

  /** How many calls of one operation. */
  public count(operation: string, service?: FaultService): number {
    return this.of(operation, service).length;
  }

  /** Calls that answered 2xx, of one operation. */
  public succeeded(operation: string, service?: FaultService): CallRecord[] {
    return this.of(operation, service).filter((r) => r.status >= 200 && r.status < 300);
  }

  /** One line per call: "ECS UpdateService 200 {cluster, service, taskDefinition}". */
  public lines(): string[] {
    return this.records.map(
      (r) => `${r.service} ${r.operation} ${r.errorCode ?? r.status}${r.connection === 'lost-after' || r.answerUnread === true ? ' (answer lost)' : ''} ${JSON.stringify(r.params)}`,
    );
  }

  /** Forgets every call. */
  public clear(): void {
    this.records.length = 0;
  }
}
