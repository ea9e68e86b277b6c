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

/** An AWS call failed in a way that a later retry may fix: throttling, 5xx, network. */
export class TransientAwsError extends RollbackError {
  public override name = 'TransientAwsError' as const;
  public override readonly transient = true;
  public constructor(
    public readonly operation: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${operation}: ${message}`, options);
  }
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
  AwsCallError,
} as const;

export type ErrorName = keyof typeof ERROR_CLASSES;

export const ERROR_NAMES = Object.keys(ERROR_CLASSES) as ErrorName[];

/** Names of the errors a Task must retry. */
export const TRANSIENT_ERROR_NAMES: readonly ErrorName[] = ['TransientAwsError'];

/** Lambda service errors that Step Functions reports for an invoke, all transient. */
export const LAMBDA_SERVICE_ERROR_NAMES = [
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
] as const;
