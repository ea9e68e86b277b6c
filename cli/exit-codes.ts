/** Exit codes of `ecs-rollback`, stable so that scripts can rely on them. */
export const EXIT = {
  /** The command did what was asked; for a rollback: it succeeded, was skipped, or was a dry run. */
  OK: 0,
  /** The rollback failed, timed out or was aborted. */
  ROLLBACK_FAILED: 1,
  /** Bad arguments, missing configuration, or confirmation needed but not possible. */
  USAGE: 2,
  /** An AWS call failed (credentials, permissions, unknown ARN, throttling). */
  AWS_ERROR: 3,
  /** The person at the prompt did not type CONFIRM; nothing was started. */
  ABORTED: 4,
  /** doctor: no failure, but at least one warning. */
  DOCTOR_WARNINGS: 5,
  /** doctor: at least one check failed (the safety net is not wired). */
  DOCTOR_FAILURES: 6,
  /** selftest: the dry run of at least one service did not produce a plan. */
  SELFTEST_FAILED: 7,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A mistake in how the command was called: printed with a hint, exit code 2. */
export class UsageError extends Error {
  public override name = 'UsageError' as const;
}
