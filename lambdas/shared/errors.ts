/**
 * Typed errors. The state machine's Retry/Catch match on `name`, so every name is a literal
 * (it survives minification). `transient` errors are retried by every Task of the ASL.
 */

/** Base class of every error this project throws on purpose. */
export class RollbackError extends Error {
  public override name: string = 'RollbackError';
  /** True when a retry of the same call may succeed (throttling, 5xx, timeouts). */
  public readonly transient: boolean = false;

  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** Input that cannot be acted on: a malformed event, a missing or bad field. Names the field. */
export class ValidationError extends RollbackError {
  public override name = 'ValidationError' as const;
  public constructor(
    public readonly field: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${field}: ${message}`, options);
  }
}

/** The service is not configured for rollback, or ECS does not know it (MISSING / INACTIVE). */
export class ServiceNotFoundError extends RollbackError {
  public override name = 'ServiceNotFoundError' as const;
}

/** An explicit target (revision, tag, digest, commit) that does not exist. */
export class TargetNotFoundError extends RollbackError {
  public override name = 'TargetNotFoundError' as const;
}

/** The function's own configuration (environment) is missing or invalid. */
export class ConfigurationError extends RollbackError {
  public override name = 'ConfigurationError' as const;
}

/** An AWS call that failed in a way a later retry may fix: its message starts with the operation. */
abstract class RetryableAwsError extends RollbackError {
  public override readonly transient = true;
  public constructor(
    public readonly operation: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${operation}: ${message}`, options);
  }
}

/** An AWS call failed in a way that a later retry may fix: throttling, 5xx, network. */
export class TransientAwsError extends RetryableAwsError {
  public override name = 'TransientAwsError' as const;
}

/**
 * AWS refused a call for its request rate (ThrottlingException, 429, ...): transient like
 * TransientAwsError, but with a larger retry budget of its own in the ASL, because under a burst
 * (many services rolled back at once) the account's token bucket refills only at its sustained rate
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/request-throttling.html).
 */
export class ThrottledAwsError extends RetryableAwsError {
  public override name = 'ThrottledAwsError' as const;
}

/** An AWS call failed for good (access denied, invalid parameter, ...). */
export class AwsCallError extends RollbackError {
  public override name = 'AwsCallError' as const;
  public constructor(
    public readonly operation: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${operation}: ${message}`, options);
  }
}

/** Every error class, by name: the ASL may only name these (plus States.* and Lambda.*). */
export const ERROR_CLASSES = {
  RollbackError,
  ValidationError,
  ServiceNotFoundError,
  TargetNotFoundError,
  ConfigurationError,
  TransientAwsError,
  ThrottledAwsError,
  AwsCallError,
} as const;

export type ErrorName = keyof typeof ERROR_CLASSES;

export const ERROR_NAMES = Object.keys(ERROR_CLASSES) as ErrorName[];

/**
 * Names of our errors a Task must retry. Every other error a handler throws is not retried: our
 * ValidationError, ServiceNotFoundError, TargetNotFoundError, ConfigurationError and AwsCallError
 * (access denied, an invalid parameter) and any other name (a TypeError: a bug) give the same
 * answer again, so they go straight to the failure notification (the Tasks' Catch).
 */
export const TRANSIENT_ERROR_NAMES: readonly ErrorName[] = ['TransientAwsError', 'ThrottledAwsError'];

/**
 * Lambda service errors that Step Functions reports for an invoke, all transient: retried with
 * backoff like TransientAwsError. https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html
 */
export const LAMBDA_SERVICE_ERROR_NAMES = [
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
] as const;

/**
 * What Step Functions reports when an invocation dies instead of answering; each is retried ONCE
 * (statemachine/rollback.asl.json, the second Retry of every Task), then the Catch notifies:
 * - `States.Timeout`: the Task ran past its TimeoutSeconds (the invoke itself hung). The functions
 *   time out 10 s before their Task (lib/rollback-stack.ts), so the earlier attempt has ended and a
 *   retry cannot overlap it. https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
 * - `Sandbox.Timedout`: the function ran past its own timeout, in its handler or its Init phase.
 *   Every AWS call has a timeout well under it (lambdas/aws/client-options.ts), so this is a stall
 *   outside our calls, not work that never fits. https://docs.aws.amazon.com/lambda/latest/dg/troubleshooting-invocation.html
 * - `Runtime.ExitError`: the runtime process exited (killed for memory, a crash).
 * - `Lambda.Unknown`: how Step Functions names unhandled errors such as out of memory and function
 *   timeouts. https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html
 * Once, not more: a second crash in a row is likely to repeat, and each attempt may cost a whole
 * function timeout. A retry is safe because every Task's side effects are checked before they are
 * repeated (UpdateService, RegisterTaskDefinition) or recorded (SNS Publish).
 */
export const CRASH_ERROR_NAMES = ['States.Timeout', 'Sandbox.Timedout', 'Runtime.ExitError', 'Lambda.Unknown'] as const;

/** Every error name the ASL may use in a Retry or Catch. */
export const ASL_ERROR_NAMES: readonly string[] = [...ERROR_NAMES, ...LAMBDA_SERVICE_ERROR_NAMES, ...CRASH_ERROR_NAMES, 'States.ALL'];
