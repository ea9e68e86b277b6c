import { describe, expect, it } from 'vitest';
import { executionNameFor } from '../../cli/args';
import { type ExecutionView, outcomeOf } from '../../cli/format';
import type { RollbackState } from '../../lambdas/shared/types';
import { EXECUTION_ARN, EXECUTION_NAME, STARTED, STOPPED, succeededState } from './fixtures';

function view(status: string, state?: Partial<RollbackState>, extra: Partial<ExecutionView> = {}): ExecutionView {
  return { executionArn: EXECUTION_ARN, name: EXECUTION_NAME, status, startDate: STARTED, stopDate: STOPPED, state, ...extra };
}

function withoutDeployment(): Partial<RollbackState> {
  const { registration: _r, deployment: _d, stability: _s, health: _h, ...rest } = succeededState();
  return rest;
}

describe('outcome of an execution', () => {
  it('reports a skip with the reason and exits 0 when riderapp-service already runs riderapp:14', () => {
    // Prepare
    const state = withoutDeployment();
    const skipped = {
      ...state,
      target: { ...(state.target as NonNullable<RollbackState['target']>), outcome: 'skip' as const, reason: 'AlreadyOnTarget', message: 'riderapp-service already runs riderapp:14' },
      notification: { kind: 'skipped' as const, subject: 's', messageId: 'm', sentAt: '2025-03-04T10:30:05Z' },
    };

    // Act
    const outcome = outcomeOf(view('SUCCEEDED', skipped));

    // Assess
    expect(outcome).toMatchObject({ kind: 'skipped', exitCode: 0, short: 'skipped: AlreadyOnTarget' });
    expect(outcome.lines[0]).toBe('Nothing changed on riderapp-service in riderapp-cluster: riderapp-service already runs riderapp:14 (AlreadyOnTarget).');
  });

  it('reports the plan of a dry run from riderapp:15 to riderapp:14 and exits 0', () => {
    // Prepare
    const state = withoutDeployment();
    const dryRun = {
      ...state,
      request: { ...(state.request as NonNullable<RollbackState['request']>), dryRun: true },
      notification: { kind: 'dry-run' as const, subject: 's', messageId: 'm', sentAt: '2025-03-04T10:30:05Z' },
    };

    // Act
    const outcome = outcomeOf(view('SUCCEEDED', dryRun));

    // Assess
    expect(outcome.kind).toBe('dry-run');
    expect(outcome.exitCode).toBe(0);
    expect(outcome.lines).toContain('Dry run: would roll back riderapp-service in riderapp-cluster from riderapp:15 to riderapp:14.');
    expect(outcome.lines).toContain('Nothing changed.');
  });

  it('counts a rollback whose notification failed as rolled back, with a warning', () => {
    // Prepare
    const { notification: _n, ...state } = succeededState();

    // Act
    const outcome = outcomeOf(view('FAILED', { ...state, notificationError: { Error: 'TransientAwsError' } } as Partial<RollbackState>, { error: 'NotificationFailed' }));

    // Assess
    expect(outcome.kind).toBe('rolled-back');
    expect(outcome.exitCode).toBe(0);
    expect(outcome.lines.at(-1)).toContain('the notification could not be sent');
  });

  it('counts a rollback whose lock release failed as rolled back, with a warning about the lock', () => {
    // Act
    const outcome = outcomeOf(
      view('FAILED', { ...succeededState(), lockReleaseError: { Error: 'AwsCallError' } } as Partial<RollbackState>, { error: 'LockReleaseFailed' }),
    );

    // Assess
    expect(outcome.kind).toBe('rolled-back');
    expect(outcome.exitCode).toBe(0);
    expect(outcome.lines.at(-1)).toContain('the lock of riderapp-service in riderapp-cluster could not be released');
  });

  it('exits 1 for a failure whose state is unknown, with the error and cause of the execution', () => {
    // Act
    const outcome = outcomeOf(view('FAILED', undefined, { error: 'States.Runtime', cause: 'An error occurred while executing the state' }));

    // Assess
    expect(outcome).toMatchObject({ kind: 'failed', exitCode: 1, short: 'failed: States.Runtime' });
    expect(outcome.lines[0]).toBe('Rollback of the service failed: States.Runtime: An error occurred while executing the state');
  });

  it.each([
    ['TIMED_OUT', 'timed-out'],
    ['ABORTED', 'aborted'],
  ])('exits 1 for an execution that ended %s', (status, kind) => {
    // Act
    const outcome = outcomeOf(view(status, succeededState()));

    // Assess
    expect(outcome).toMatchObject({ kind, exitCode: 1 });
  });

  it('points at the notification for database advice on a full rollback', () => {
    // Prepare
    const state = succeededState();
    const full = { ...state, request: { ...(state.request as NonNullable<RollbackState['request']>), rollbackType: 'full' as const } };

    // Act
    const outcome = outcomeOf(view('SUCCEEDED', full));

    // Assess
    expect(outcome.lines.at(-1)).toContain('database and infrastructure steps are never automatic');
  });
});

describe('execution names', () => {
  it.each([
    ['riderapp-service', 'manual-riderapp-service-20250304T103000Z-3f9a'],
    ['a'.repeat(255), `manual-${'a'.repeat(51)}-20250304T103000Z-3f9a`],
    ['arn:aws:ecs:us-east-1:111122223333:service/riderapp-cluster/riderapp-service', 'manual-riderapp-service-20250304T103000Z-3f9a'],
    ['rider app.v2', 'manual-rider-app-v2-20250304T103000Z-3f9a'],
  ])('names a rollback of %s readably within 80 allowed characters', (service, expected) => {
    // Act
    const name = executionNameFor({ cluster: 'riderapp-cluster', service }, STARTED, '3f9a');

    // Assess
    expect(name.length).toBeLessThanOrEqual(80);
    expect(name).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(name).toBe(expected);
  });
});
