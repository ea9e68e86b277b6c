/**
 * The digest through the real ASL with the real handlers and a dynalite state table: an execution
 * whose ending is folded into its window's digest waits for the window's end (WaitForDigest, no
 * real wait here) and publishes the digest (SendDigest); an ending after that digest went out is sent
 * on its own; a digest that cannot be published ends the execution FAILED (DigestFailed), which the
 * executions-failed alarm reports.
 */
import { readFileSync } from 'node:fs';
import { PublishCommand } from '@aws-sdk/client-sns';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LocalRunResult } from '../../statemachine/local';
import { type Engine, runRollback, startEngine } from './helpers/engine';
import { accessDenied, RiderappWorld, useWorldClock } from './helpers/riderapp-world';

const DEPLOYMENT_FAILED: Record<string, unknown> = JSON.parse(
  readFileSync(new URL('../fixtures/events/ecs-deployment-failed.json', import.meta.url), 'utf8'),
);

let engine: Engine;
let runs = 0;

/** A deployment failure of riderapp-service: the failed riderapp:15 deployment (1), or later ones with their own event and deployment ids. */
function deploymentFailed(n: number): Record<string, unknown> {
  if (n === 1) return DEPLOYMENT_FAILED;
  const detail = DEPLOYMENT_FAILED.detail as Record<string, unknown>;
  return { ...DEPLOYMENT_FAILED, id: `8a1b2c3d-4e5f-4a6b-9c7d-0e1f2a3b4c${String(n).padStart(2, '0')}`, detail: { ...detail, deploymentId: `ecs-svc/45209829371549208${n}` } };
}

function run(world: RiderappWorld, input: unknown): Promise<LocalRunResult> {
  runs += 1;
  return runRollback(engine, world, { input, executionName: `digest-${runs}` });
}

const statusOf = (message: { MessageAttributes?: Record<string, { StringValue?: string }> }): string =>
  message.MessageAttributes?.digest === undefined ? (message.MessageAttributes?.status?.StringValue ?? '?') : `digest ${message.MessageAttributes?.status?.StringValue}`;

beforeAll(async () => {
  // 5-minute windows from 12:00 UTC, the world's clock: the modelled rollback and the skips after it end within the first
  vi.stubEnv('DIGEST_WINDOW_MINUTES', '5');
  vi.stubEnv('DIGEST_IMMEDIATE', '2');
  engine = await startEngine();
});

afterAll(async () => {
  await engine?.close();
});

beforeEach(async () => {
  await engine.clearStateTable();
  useWorldClock();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('four endings of riderapp within one window', () => {
  it('sends two on their own, folds the third into a digest it publishes after WaitForDigest, and sends the fourth (after the digest) on its own', async () => {
    // Prepare
    const world = new RiderappWorld();

    // Act: a rollback, then three more deployment failures of the same service (skipped: cool-down)
    const results: LocalRunResult[] = [];
    for (const n of [1, 2, 3, 4]) results.push(await run(world, deploymentFailed(n)));

    // Assess
    expect(results.map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(results.map((r) => r.statesEntered.includes('WaitForDigest'))).toEqual([false, false, true, false]);
    expect(results[2]?.statesEntered.slice(-6)).toEqual(['ReleaseLock', 'Outcome', 'WaitForDigest', 'SendDigest', 'Outcome', 'Done']);
    expect(results[2]?.output).toMatchObject({ notification: { kind: 'skipped', deferred: { position: 3 } }, digest: { sent: true, endings: 1 } });
    expect(world.published().map(statusOf)).toEqual(['success', 'skipped', 'digest ["skipped"]', 'skipped']);
    expect(world.published()[2]?.Subject).toBe('[riderapp] Rollback digest: 1 skipped');
  });

  it('ends FAILED with DigestFailed when the digest cannot be published, so the executions-failed alarm reports it', async () => {
    // Prepare
    const world = new RiderappWorld().fail({ state: 'SendDigest', command: PublishCommand, error: () => accessDenied('sns:Publish') });
    for (const n of [1, 2]) await run(world, deploymentFailed(n));

    // Act
    const result = await run(world, deploymentFailed(3));

    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.statesEntered.slice(-3)).toEqual(['SendDigest', 'Outcome', 'DigestFailed']);
    expect(result.error).toMatchObject({ Error: 'DigestFailed' });
    expect(world.published().map(statusOf)).toEqual(['success', 'skipped']);
  });
});
