/**
 * The state machine's overall TimeoutSeconds and the lock TTL it implies, from the ASL file's own
 * Retry blocks (statemachine/budget.ts) and the functions' timeouts.
 */
import { DEFAULT_DIGEST_WINDOW_MINUTES } from '../lambdas/core/digest';
import { type ExecutionBudget, executionBudget } from '../statemachine/budget';
import { readDefinitionText, TASK_FUNCTIONS } from '../statemachine/definition';

/** Lambda timeout of every task function but ProbeHealth: a little under the ASL's 60 s, so Lambda reports its own timeout. */
export const TASK_TIMEOUT_SECONDS = 50;

/** What the budget depends on besides the ASL. */
export interface ExecutionSettings {
  readonly stabilizationTimeoutSeconds: number;
  readonly pollIntervalSeconds: number;
  /** ProbeHealth's function timeout (config.ts probeBudgetSeconds). */
  readonly probeBudgetSeconds: number;
  /** The digest window Notify uses (DIGEST_WINDOW_MINUTES × 60). @default 5 min */
  readonly digestWindowSeconds?: number;
}

/** The overall timeout and what it is made of. */
export interface ExecutionTimeout {
  /** The ASL's top-level TimeoutSeconds: the file's own when it sets one, else the worst case rounded up to a minute. */
  readonly timeoutSeconds: number;
  /** The worst case up to ReleaseLock rounded up to a minute: what the lock must outlive. */
  readonly lockedSeconds: number;
  readonly budget: ExecutionBudget;
}

/** The worst case of an execution with these settings, and the TimeoutSeconds the state machine gets. */
export function executionTimeout(settings: ExecutionSettings, definitionText: string = readDefinitionText()): ExecutionTimeout {
  const definition = JSON.parse(definitionText) as Parameters<typeof executionBudget>[0] & { TimeoutSeconds?: number };
  const probeResource = `\${${TASK_FUNCTIONS.ProbeHealth.substitution}}`;
  const budget = executionBudget(
    definition,
    {
      stabilizationTimeoutSeconds: settings.stabilizationTimeoutSeconds,
      pollIntervalSeconds: settings.pollIntervalSeconds,
      digestWindowSeconds: settings.digestWindowSeconds ?? DEFAULT_DIGEST_WINDOW_MINUTES * 60,
    },
    (resource) => (resource === probeResource ? settings.probeBudgetSeconds : TASK_TIMEOUT_SECONDS),
  );
  const timeoutSeconds = definition.TimeoutSeconds ?? Math.ceil(budget.requiredSeconds / 60) * 60;
  return { timeoutSeconds, lockedSeconds: Math.ceil(budget.lockedSeconds / 60) * 60, budget };
}
