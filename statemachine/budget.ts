/**
 * How long an execution can take at worst, read from the ASL's own Retry blocks: a pure function
 * of the definition, so the figure follows any change to the retries. Defaults of a retrier as AWS
 * documents them (IntervalSeconds 1, MaxAttempts 3, BackoffRate 2.0, no MaxDelaySeconds):
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
 */

/** One Retry entry of a Task state. */
export interface Retrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds?: number;
  readonly MaxAttempts?: number;
  readonly BackoffRate?: number;
  readonly MaxDelaySeconds?: number;
}

/** The parts of a state the budget reads. */
export interface BudgetState {
  readonly Type: string;
  readonly Resource?: string;
  readonly TimeoutSeconds?: number;
  readonly Retry?: readonly Retrier[];
  /** SendDigest's `{"kind": "digest"}`: a second Notify invocation, after ReleaseLock. */
  readonly Parameters?: { readonly kind?: unknown };
}

/** A Task's worst case: every attempt runs to its timeout and every retry waits its longest backoff. */
export interface TaskBudget {
  /** The Task state (for a resource behind several states, the costliest one). */
  readonly state: string;
  readonly resource: string;
  /** The first attempt plus every retry any retrier allows. */
  readonly attempts: number;
  /** How long one attempt may take. */
  readonly attemptSeconds: number;
  /** Every attempt plus every backoff. */
  readonly seconds: number;
  /** Runs after ReleaseLock (SendDigest): not covered by the lock. */
  readonly afterRelease?: boolean;
}

const DEFAULT_INTERVAL_SECONDS = 1;
const DEFAULT_MAX_ATTEMPTS = 3;
const DEFAULT_BACKOFF_RATE = 2;

/** The longest total wait of one retrier's backoffs (JitterStrategy FULL only shortens them). */
export function backoffSeconds(retrier: Retrier): number {
  const interval = retrier.IntervalSeconds ?? DEFAULT_INTERVAL_SECONDS;
  const rate = retrier.BackoffRate ?? DEFAULT_BACKOFF_RATE;
  const cap = retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY;
  let total = 0;
  for (let retry = 0; retry < (retrier.MaxAttempts ?? DEFAULT_MAX_ATTEMPTS); retry += 1) {
    total += Math.min(interval * rate ** retry, cap);
  }
  return total;
}

/**
 * Worst case of one Task state. An attempt lasts at most the state's TimeoutSeconds, or less when
 * the function behind it times out first (`functionTimeoutSeconds`).
 */
export function taskBudget(name: string, state: BudgetState, functionTimeoutSeconds?: number): TaskBudget {
  const attemptSeconds = Math.min(state.TimeoutSeconds ?? Number.POSITIVE_INFINITY, functionTimeoutSeconds ?? Number.POSITIVE_INFINITY);
  if (!Number.isFinite(attemptSeconds)) {
    throw new Error(`Task ${name} has no TimeoutSeconds and no function timeout: its attempts are unbounded`);
  }
  const retriers = state.Retry ?? [];
  const attempts = 1 + retriers.reduce((sum, r) => sum + (r.MaxAttempts ?? DEFAULT_MAX_ATTEMPTS), 0);
  const waits = retriers.reduce((sum, r) => sum + backoffSeconds(r), 0);
  const afterRelease = state.Parameters?.kind === 'digest';
  return {
    state: name,
    resource: afterRelease ? `${state.Resource ?? name}#digest` : (state.Resource ?? name),
    attempts,
    attemptSeconds,
    seconds: attempts * attemptSeconds + waits,
    ...(afterRelease ? { afterRelease } : {}),
  };
}

/**
 * The worst case of every Task, one per resource (the four Notify states share one function and
 * only one of them runs in an execution; SendDigest, which may run after one of them, counts on its
 * own), in the definition's order.
 */
export function taskBudgets(
  definition: { readonly States: Readonly<Record<string, BudgetState>> },
  functionTimeoutSeconds: (resource: string) => number | undefined = () => undefined,
): TaskBudget[] {
  const byResource = new Map<string, TaskBudget>();
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type !== 'Task') continue;
    const budget = taskBudget(name, state, functionTimeoutSeconds(state.Resource ?? name));
    const known = byResource.get(budget.resource);
    if (known === undefined || budget.seconds > known.seconds) byResource.set(budget.resource, budget);
  }
  return [...byResource.values()];
}

/** What an execution's worst case is made of. */
export interface ExecutionBudget {
  readonly stabilizationTimeoutSeconds: number;
  /** The last wait between two stability checks, which may start just before the timeout. */
  readonly pollIntervalSeconds: number;
  readonly tasks: readonly TaskBudget[];
  /** The longest wait for a digest window's end after ReleaseLock (WaitForDigest). */
  readonly digestWindowSeconds: number;
  /** The sum: the shortest overall TimeoutSeconds that lets every retry run out. */
  readonly requiredSeconds: number;
  /** The part up to ReleaseLock, while the execution may hold the service's lock. */
  readonly lockedSeconds: number;
}

/**
 * The worst case of a whole execution: the stabilisation window and its last wait, plus every
 * Task's worst case once (CheckStability's repeated checks live inside the stabilisation window;
 * ProbeHealth's attempts last its function's timeout, the probe budget).
 */
export function executionBudget(
  definition: { readonly States: Readonly<Record<string, BudgetState>> },
  settings: { readonly stabilizationTimeoutSeconds: number; readonly pollIntervalSeconds: number; readonly digestWindowSeconds?: number },
  functionTimeoutSeconds?: (resource: string) => number | undefined,
): ExecutionBudget {
  const tasks = taskBudgets(definition, functionTimeoutSeconds);
  const digestWindowSeconds = tasks.some((t) => t.afterRelease) ? (settings.digestWindowSeconds ?? 0) : 0;
  const lockedSeconds =
    settings.stabilizationTimeoutSeconds + settings.pollIntervalSeconds + tasks.filter((t) => !t.afterRelease).reduce((sum, t) => sum + t.seconds, 0);
  const requiredSeconds = lockedSeconds + digestWindowSeconds + tasks.filter((t) => t.afterRelease).reduce((sum, t) => sum + t.seconds, 0);
  return {
    stabilizationTimeoutSeconds: settings.stabilizationTimeoutSeconds,
    pollIntervalSeconds: settings.pollIntervalSeconds,
    tasks,
    digestWindowSeconds,
    requiredSeconds: Math.ceil(requiredSeconds),
    lockedSeconds: Math.ceil(lockedSeconds),
  };
}

/** The budget as a person reads it: `stabilisation 900 s + last poll 15 s + Prepare 331 s + ... = 4348 s`. */
export function describeBudget(budget: ExecutionBudget): string {
  const parts = [
    `stabilisation ${budget.stabilizationTimeoutSeconds} s`,
    `last poll ${budget.pollIntervalSeconds} s`,
    ...budget.tasks.map((t) => `${t.state} ${Math.ceil(t.seconds)} s (${t.attempts} × ${t.attemptSeconds} s + backoff)`),
    ...(budget.digestWindowSeconds > 0 ? [`digest window ${budget.digestWindowSeconds} s`] : []),
  ];
  return `${parts.join(' + ')} = ${budget.requiredSeconds} s`;
}

/**
 * The invariant of lock and execution: the state machine's TimeoutSeconds ≥ the execution's worst
 * case, and the lock TTL ≥ the worst case of the part that holds the lock (up to ReleaseLock; the
 * digest wait comes after it). Throws naming the figures when it does not hold.
 */
export function assertExecutionBudget(lockTtlSeconds: number, timeoutSeconds: number, budget: ExecutionBudget): void {
  if (timeoutSeconds < budget.requiredSeconds) {
    throw new Error(
      `the state machine's TimeoutSeconds (${timeoutSeconds} s) is shorter than an execution's worst case: ${describeBudget(budget)}`,
    );
  }
  if (lockTtlSeconds < budget.lockedSeconds) {
    throw new Error(
      `lockTtlSeconds (${lockTtlSeconds} s) is shorter than an execution's worst case up to ReleaseLock (${budget.lockedSeconds} s): a lock could expire under a running execution (worst case ${describeBudget(budget)})`,
    );
  }
}
