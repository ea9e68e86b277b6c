/** The Step Functions calls `ecs-rollback` makes; each failure becomes a CliAwsError (exit 3). */
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  type SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { ManualStartInput } from '../lambdas/shared/types';
import { type ExecutionView, finalStateFromEvents, parseJson, parseState } from './format';

/** An AWS call failed; the message says which call and what to do about it. */
export class CliAwsError extends Error {
  public override name = 'CliAwsError' as const;
  public constructor(
    public readonly operation: string,
    public readonly errorName: string,
    message: string,
    public readonly hint: string | undefined,
    options?: ErrorOptions,
  ) {
    super(`${operation} failed: ${errorName}: ${message}`, options);
  }
}

const PERMISSIONS =
  'states:StartExecution, states:StopExecution, states:DescribeExecution, states:GetExecutionHistory, states:ListExecutions, states:ListStateMachines';

function hintFor(errorName: string, message: string): string | undefined {
  if (/region is missing/i.test(message)) return 'pass --region or set AWS_REGION';
  if (/ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|ECONNRESET/.test(message)) {
    return 'cannot reach Step Functions: check the network, a proxy, --region, or AWS_ENDPOINT_URL';
  }
  if (/credential/i.test(errorName) || /credential/i.test(message)) {
    return 'configure AWS credentials (AWS_PROFILE, aws sso login, or the role of your CI job)';
  }
  switch (errorName) {
    case 'UnrecognizedClientException':
    case 'ExpiredTokenException':
    case 'InvalidSignatureException':
      return 'your AWS credentials are invalid or expired: refresh them (aws sso login, or the CI role)';
    case 'AccessDeniedException':
      return `the caller needs ${PERMISSIONS} on the rollback state machine`;
    case 'StateMachineDoesNotExist':
      return 'check --state-machine-arn / ECS_ROLLBACK_STATE_MACHINE_ARN and --region';
    case 'ExecutionDoesNotExist':
      return 'check the execution ARN and --region; ecs-rollback history lists recent executions';
    case 'ExecutionAlreadyExists':
      return 'an execution with this name exists already: run the command again';
    case 'ExecutionLimitExceeded':
    case 'ThrottlingException':
      return 'Step Functions is throttling: wait a minute and run the command again';
    default:
      return undefined;
  }
}

async function call<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const e = error as { name?: string; message?: string };
    const errorName = e.name ?? 'Error';
    const message = e.message ?? String(error);
    throw new CliAwsError(operation, errorName, message, hintFor(errorName, message), { cause: error });
  }
}

/** The ARN of the state machine named `name`, or undefined when there is none in this region. */
export async function findStateMachineArn(client: SFNClient, name: string): Promise<string | undefined> {
  let nextToken: string | undefined;
  do {
    const page = await call('ListStateMachines', () =>
      client.send(new ListStateMachinesCommand({ maxResults: 1000, nextToken })),
    );
    const found = page.stateMachines?.find((machine) => machine.name === name);
    if (found?.stateMachineArn !== undefined) return found.stateMachineArn;
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return undefined;
}

/** Starts an execution with the manual start input; returns its ARN. */
export async function startExecution(
  client: SFNClient,
  stateMachineArn: string,
  name: string,
  input: ManualStartInput,
): Promise<string> {
  const result = await call('StartExecution', () =>
    client.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) })),
  );
  if (result.executionArn === undefined) {
    throw new CliAwsError('StartExecution', 'InvalidResponse', 'no executionArn in the answer', undefined);
  }
  return result.executionArn;
}

/** The full history of an execution, oldest first, with each state's data. */
export async function executionHistory(client: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await call('GetExecutionHistory', () =>
      client.send(
        new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, includeExecutionData: true, nextToken }),
      ),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return events;
}

async function lastEvents(client: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const page = await call('GetExecutionHistory', () =>
    client.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 20, reverseOrder: true, includeExecutionData: true }),
    ),
  );
  return [...(page.events ?? [])].reverse();
}

/**
 * What we know of an execution: DescribeExecution, and the final state (the output of a
 * succeeded one; for any other ended one, the input of its last state, from the history).
 */
export async function describeExecution(
  client: SFNClient,
  executionArn: string,
  events?: readonly HistoryEvent[],
): Promise<ExecutionView> {
  const result = await call('DescribeExecution', () => client.send(new DescribeExecutionCommand({ executionArn })));
  const status = result.status ?? 'UNKNOWN';
  let state = parseState(result.output);
  if (state === undefined && status !== 'RUNNING' && status !== 'SUCCEEDED') {
    state = finalStateFromEvents(events ?? (await lastEvents(client, executionArn)));
  }
  return {
    executionArn,
    name: result.name ?? executionArn.slice(executionArn.lastIndexOf(':') + 1),
    status,
    startDate: result.startDate,
    stopDate: result.stopDate,
    input: parseJson(result.input),
    error: result.error,
    cause: result.cause,
    state,
  };
}

/** Recent executions of the state machine, newest first, at most `scanLimit` of them. */
export async function recentExecutionArns(client: SFNClient, stateMachineArn: string, scanLimit: number): Promise<string[]> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await call('ListExecutions', () =>
      client.send(
        new ListExecutionsCommand({ stateMachineArn, maxResults: Math.min(100, scanLimit - arns.length), nextToken }),
      ),
    );
    for (const execution of page.executions ?? []) {
      if (execution.executionArn !== undefined) arns.push(execution.executionArn);
    }
    nextToken = page.nextToken;
  } while (nextToken !== undefined && arns.length < scanLimit);
  return arns.slice(0, scanLimit);
}

/** The error name an execution stopped by `ecs-rollback abort` ends with (StopExecution's `error`, at most 256 characters). */
export const ABORTED_BY_OPERATOR = 'AbortedByOperator';

/**
 * Stops a running execution (StopExecution), naming who stopped it and why in its cause (at most
 * 32,768 characters, https://docs.aws.amazon.com/step-functions/latest/apireference/API_StopExecution.html);
 * returns when Step Functions stopped it.
 */
export async function stopExecution(client: SFNClient, executionArn: string, cause: string): Promise<Date | undefined> {
  const out = await call('StopExecution', () =>
    client.send(new StopExecutionCommand({ executionArn, error: ABORTED_BY_OPERATOR, cause: cause.slice(0, 32_768) })),
  );
  return out.stopDate;
}
