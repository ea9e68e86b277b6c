import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import {
  ASL_ERROR_NAMES,
  CRASH_ERROR_NAMES,
  ERROR_NAMES,
  LAMBDA_SERVICE_ERROR_NAMES,
  TRANSIENT_ERROR_NAMES,
} from '../../lambdas/shared/errors';
import {
  placeholdersIn,
  readDefinitionText,
  renderDefinition,
  substitutionsFor,
  TASK_FUNCTIONS,
  type TaskFunctionId,
} from '../../statemachine/definition';

interface AslState {
  Type: string;
  Next?: string;
  Default?: string;
  End?: boolean;
  Resource?: string;
  Choices?: { Next: string }[];
  TimeoutSeconds?: number;
  Retry?: {
    ErrorEquals: string[];
    IntervalSeconds?: number;
    BackoffRate?: number;
    MaxAttempts?: number;
    MaxDelaySeconds?: number;
    JitterStrategy?: string;
  }[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
}

const arns = Object.fromEntries(
  Object.keys(TASK_FUNCTIONS).map((id) => [id, `arn:aws:lambda:us-east-1:111122223333:function:${id}`]),
) as Record<TaskFunctionId, string>;
const substitutions = substitutionsFor(arns, { pollIntervalSeconds: 15, stabilizationTimeoutSeconds: 900 });
const definition = renderDefinition(substitutions) as { StartAt: string; States: Record<string, AslState> };
const states = definition.States;
const tasks = Object.entries(states).filter(([, s]) => s.Type === 'Task');

function successors(state: AslState): string[] {
  return [
    ...(state.Next ? [state.Next] : []),
    ...(state.Default ? [state.Default] : []),
    ...(state.Choices ?? []).map((c) => c.Next),
    ...(state.Catch ?? []).map((c) => c.Next),
  ];
}

/** Every acyclic path from `from` to a terminal state (Succeed/Fail), as lists of state names. */
function pathsToEnd(from: string, seen: string[] = []): string[][] {
  const state = states[from] as AslState;
  const path = [...seen, from];
  if (state.Type === 'Succeed' || state.Type === 'Fail') return [path];
  return successors(state)
    .filter((n) => !path.includes(n))
    .flatMap((n) => pathsToEnd(n, path));
}

describe('statemachine/rollback.asl.json', () => {
  it('is valid ASL once substituted, and every ${placeholder} has a value', async () => {
    // Prepare
    const placeholders = placeholdersIn(readDefinitionText());

    // Act
    const { isValid, errors } = aslValidator(definition as never);

    // Assess
    expect(errors).toEqual([]);
    expect(isValid).toBe(true);
    expect(placeholders.filter((p) => substitutions[p] === undefined)).toEqual([]);
    expect(JSON.stringify(definition)).not.toContain('${');
  });

  it('names only errors that exist: ours (lambdas/shared/errors.ts), Lambda service errors, crashes, States.ALL', () => {
    const named = new Set(
      Object.values(states).flatMap((s) => [...(s.Retry ?? []), ...(s.Catch ?? [])].flatMap((r) => r.ErrorEquals)),
    );
    const unknown = [...named].filter((name) => !ASL_ERROR_NAMES.includes(name));
    expect(unknown).toEqual([]);
    expect(named.size).toBeGreaterThan(1);
  });

  it.each(tasks.map(([name]) => name))('%s retries a crash or a timeout exactly once', (name) => {
    const retry = (states[name] as AslState).Retry ?? [];
    for (const error of CRASH_ERROR_NAMES) {
      const retriers = retry.filter((r) => r.ErrorEquals.includes(error));
      expect(retriers, error).toHaveLength(1);
      expect(retriers[0]?.MaxAttempts, error).toBe(1);
    }
  });

  it.each(tasks.map(([name]) => name))('%s retries none of our permanent errors (bad input, access denied)', (name) => {
    const retried = ((states[name] as AslState).Retry ?? []).flatMap((r) => r.ErrorEquals);
    const permanent = ERROR_NAMES.filter((n) => !TRANSIENT_ERROR_NAMES.includes(n));
    expect(retried.filter((n) => (permanent as string[]).includes(n))).toEqual([]);
    expect(retried).not.toContain('States.ALL');
    expect(retried).not.toContain('States.TaskFailed');
  });

  it.each(tasks.map(([name]) => name))('%s states its whole retry budget: a timeout, and every field of every retrier', (name) => {
    const state = states[name] as AslState;
    expect(state.TimeoutSeconds).toBeGreaterThan(0);
    for (const retrier of state.Retry ?? []) {
      expect(Object.keys(retrier).sort()).toEqual(
        ['BackoffRate', 'ErrorEquals', 'IntervalSeconds', 'JitterStrategy', 'MaxAttempts', 'MaxDelaySeconds'].sort(),
      );
      expect(retrier.MaxDelaySeconds).toBeGreaterThanOrEqual(retrier.IntervalSeconds ?? 0);
    }
  });

  it.each(tasks.map(([name]) => name))('%s retries every transient error and Lambda service error with backoff', (name) => {
    const retry = (states[name] as AslState).Retry ?? [];
    const retried = retry.flatMap((r) => r.ErrorEquals);
    for (const error of [...TRANSIENT_ERROR_NAMES, ...LAMBDA_SERVICE_ERROR_NAMES]) {
      expect(retried).toContain(error);
    }
    const transient = retry.filter((r) => r.ErrorEquals.some((e) => (TRANSIENT_ERROR_NAMES as string[]).includes(e)));
    expect(transient.every((r) => (r.BackoffRate ?? 1) > 1 && (r.MaxAttempts ?? 3) >= 2)).toBe(true);
  });

  it.each(tasks.map(([name]) => name))('%s catches every error (States.ALL)', (name) => {
    const catchers = (states[name] as AslState).Catch ?? [];
    expect(catchers.some((c) => c.ErrorEquals.includes('States.ALL'))).toBe(true);
  });

  it('never ends without a notification attempt and a lock release', () => {
    const paths = pathsToEnd(definition.StartAt);
    expect(paths.length).toBeGreaterThan(5);
    for (const path of paths) {
      expect(path.some((s) => s.startsWith('Notify')), path.join(' → ')).toBe(true);
      expect(path, path.join(' → ')).toContain('ReleaseLock');
    }
  });

  it('changes nothing on the dry-run and skip paths', () => {
    const changing = ['RegisterTaskDefinition', 'UpdateService'];
    for (const path of pathsToEnd(definition.StartAt)) {
      if (path.includes('NotifyDryRun') || path.includes('NotifySkipped')) {
        expect(path.filter((s) => changing.includes(s)), path.join(' → ')).toEqual([]);
      }
    }
  });

  it('has a Task for every function the CDK app deploys', () => {
    const resources = new Set(tasks.map(([, s]) => s.Resource));
    expect([...resources].sort()).toEqual(Object.values(arns).sort());
  });
});
