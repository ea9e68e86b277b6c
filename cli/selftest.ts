/**
 * `ecs-rollback selftest`: a dry-run execution per watched service, a few at a time (each dry run
 * reads the service, its deployments, its task definition and its images: ECS's read quota is
 * shared by the account), marked `selftest` so Notify neither publishes nor counts it. Reports per
 * service the plan (what would come back and why) or the error, naming a denied action and resource.
 */
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { ManualStartInput, ServiceConfig } from '../lambdas/shared/types';
import { executionNameFor } from './args';
import { type ExecutionView, outcomeOf } from './format';
import { describeExecution, startExecution } from './sfn';

/** One service's self-test. */
export interface SelftestResult {
  readonly cluster: string;
  readonly service: string;
  readonly executionArn?: string;
  /** plan: the dry run produced a plan (or a reason not to roll back); error: it did not. */
  readonly result: 'plan' | 'error';
  /** The outcome lines of the dry run. */
  readonly lines: readonly string[];
  /** For an AccessDenied error: the action and resource the message names. */
  readonly denied?: { readonly action: string; readonly resource: string };
}

/** What a self-test run needs besides the client. */
export interface SelftestOptions {
  readonly stateMachineArn: string;
  readonly services: readonly ServiceConfig[];
  readonly concurrency: number;
  readonly intervalSeconds: number;
  readonly requestedBy?: string;
  readonly sleep: (milliseconds: number) => Promise<void>;
  readonly now: () => Date;
  readonly randomSuffix: () => string;
  /** Called when a service's dry run starts (progress). */
  readonly onStart?: (service: ServiceConfig, executionArn: string) => void;
}

/** The action and resource of an AWS AccessDenied message ("... is not authorized to perform: ecr:DescribeImages on resource: arn:..."). */
export function deniedAction(text: string): { action: string; resource: string } | undefined {
  const match = /not authorized to perform:?\s+([a-z0-9-]+:[A-Za-z0-9*]+)(?:\s+on resource:?\s+(\S+?))?(?=[\s"\\,;]|$)/.exec(text);
  if (match === null) return undefined;
  return { action: match[1]!, resource: match[2] ?? '*' };
}

/** The start input of a service's self-test: a dry run marked selftest. */
export function selftestInput(service: ServiceConfig, requestedBy: string | undefined): ManualStartInput {
  return {
    cluster: service.cluster,
    service: service.service,
    dryRun: true,
    selftest: true,
    reason: 'ecs-rollback selftest',
    ...(requestedBy === undefined ? {} : { requestedBy }),
  };
}

async function selftestOne(sfn: SFNClient, service: ServiceConfig, options: SelftestOptions): Promise<SelftestResult> {
  const input = selftestInput(service, options.requestedBy);
  const name = executionNameFor(input, options.now(), options.randomSuffix());
  let executionArn: string;
  try {
    executionArn = await startExecution(sfn, options.stateMachineArn, name, input);
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    const denied = deniedAction(text);
    return { cluster: service.cluster, service: service.service, result: 'error', lines: [text], ...(denied === undefined ? {} : { denied }) };
  }
  options.onStart?.(service, executionArn);
  let view: ExecutionView;
  for (;;) {
    view = await describeExecution(sfn, executionArn);
    if (view.status !== 'RUNNING') break;
    await options.sleep(options.intervalSeconds * 1000);
  }
  const outcome = outcomeOf(view);
  const failed = outcome.kind === 'failed' || outcome.kind === 'timed-out' || outcome.kind === 'aborted';
  const denied = failed ? deniedAction([view.cause ?? '', view.state?.failure?.cause ?? '', ...outcome.lines].join(' ')) : undefined;
  return {
    cluster: service.cluster,
    service: service.service,
    executionArn,
    result: failed ? 'error' : 'plan',
    lines: outcome.lines,
    ...(denied === undefined ? {} : { denied }),
  };
}

/** Runs the self-tests, at most `concurrency` at a time; results in the services' order. */
export async function runSelftests(sfn: SFNClient, options: SelftestOptions): Promise<SelftestResult[]> {
  const results: SelftestResult[] = new Array(options.services.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < options.services.length) {
      const index = next++;
      results[index] = await selftestOne(sfn, options.services[index]!, options);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, options.services.length) }, worker));
  return results;
}

/** The report: per service its plan or error, then one summary line. */
export function formatSelftest(results: readonly SelftestResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    lines.push(`${r.result === 'plan' ? 'PLAN ' : 'ERROR'}  ${r.cluster}/${r.service}${r.executionArn === undefined ? '' : `  (${r.executionArn.slice(r.executionArn.lastIndexOf(':') + 1)})`}`);
    for (const line of r.lines) lines.push(`       ${line}`);
    if (r.denied !== undefined) lines.push(`       denied: ${r.denied.action} on ${r.denied.resource}`);
  }
  const errors = results.filter((r) => r.result === 'error').length;
  lines.push('', `${results.length - errors} of ${results.length} service(s) produced a plan${errors === 0 ? '' : `, ${errors} failed`}. Nothing was changed; no notification was sent.`);
  return lines.join('\n');
}
