/** Step Functions adapter: is the execution that holds a lock still running? */
import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { awsCall } from './call';
import { sfnClient } from './clients';

/**
 * An execution's status as DescribeExecution reports it (RUNNING, SUCCEEDED, FAILED, TIMED_OUT,
 * ABORTED, PENDING_REDRIVE: https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html),
 * or MISSING when Step Functions does not know it (ExecutionDoesNotExist or InvalidArn: deleted, a
 * closed execution older than its 90-day history, or not an execution at all).
 */
export type ExecutionStatus = string;

/** Statuses of an execution that has ended and will not run on (PENDING_REDRIVE is about to run again). */
const ENDED: ReadonlySet<string> = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'MISSING']);

/** True when the execution with this status can no longer use a lock it holds. */
export function hasEnded(status: ExecutionStatus): boolean {
  return ENDED.has(status);
}

/** DescribeExecution's status of `executionArn`; throttling and 5xx are TransientAwsError, other errors AwsCallError. */
export async function executionStatus(executionArn: string, client: SFNClient = sfnClient()): Promise<ExecutionStatus> {
  return awsCall('states:DescribeExecution', async () => {
    try {
      const out = await client.send(new DescribeExecutionCommand({ executionArn }));
      return out.status ?? 'RUNNING';
    } catch (error) {
      const name = (error as { name?: string } | null)?.name ?? '';
      if (name === 'ExecutionDoesNotExist' || name === 'InvalidArn') return 'MISSING';
      throw error;
    }
  });
}
