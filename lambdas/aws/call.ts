import { AwsCallError, ThrottledAwsError, TransientAwsError } from '../shared/errors';

const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'InternalServerError',
  'ServerException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

/** Error names AWS services give a call refused for its request rate. */
const THROTTLING_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'Throttled',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
]);

const TRANSIENT_NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);

interface SdkErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/** True when a retry of the same AWS call may succeed. */
export function isTransientAwsError(error: unknown): boolean {
  const e = (error ?? {}) as SdkErrorShape;
  if (e.name !== undefined && TRANSIENT_NAMES.has(e.name)) return true;
  if (e.code !== undefined && TRANSIENT_NETWORK_CODES.has(e.code)) return true;
  if (e.$retryable !== undefined) return true;
  const status = e.$metadata?.httpStatusCode;
  return e.$fault === 'server' || (status !== undefined && (status >= 500 || status === 429));
}

/** True when AWS refused the call for its request rate (a throttle: HTTP 429 or a throttling error name). */
export function isThrottlingAwsError(error: unknown): boolean {
  const e = (error ?? {}) as SdkErrorShape;
  return (e.name !== undefined && THROTTLING_NAMES.has(e.name)) || e.$metadata?.httpStatusCode === 429;
}

/**
 * Runs one AWS call and maps its failure to a typed error the ASL understands:
 * ThrottledAwsError (a throttle, retried by the state machine with a larger budget),
 * TransientAwsError (retried by the state machine) or AwsCallError (goes to the failure path).
 * Errors of our own (RollbackError) pass through unchanged.
 */
export async function awsCall<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof Error && 'transient' in error) throw error;
    const e = error as SdkErrorShape;
    const detail = `${e.name ?? 'Error'}: ${e.message ?? String(error)}`;
    if (isThrottlingAwsError(error)) throw new ThrottledAwsError(operation, detail, { cause: error });
    if (isTransientAwsError(error)) throw new TransientAwsError(operation, detail, { cause: error });
    throw new AwsCallError(operation, detail, { cause: error });
  }
}

const isConditionalCheckFailed = (error: unknown): boolean =>
  (error as { name?: unknown } | null | undefined)?.name === 'ConditionalCheckFailedException';

/** Whether a DynamoDB conditional write was refused: the SDK's ConditionalCheckFailedException, or the error awsCall wrapped it in. */
export function isConditionFailure(error: unknown): boolean {
  return isConditionalCheckFailed(error) || (error instanceof Error && isConditionalCheckFailed(error.cause));
}
