import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ScenarioSummary } from '../../local/harness/index';

const ROOT = join(import.meta.dirname, '..', '..');

/** Runs `npm run --silent demo -- <args>` (tsx demo/run.ts) and waits for it to exit on its own. */
function demo(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('npm', ['run', '--silent', 'demo', '--', ...args], { cwd: ROOT, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
  });
}

describe('npm run demo', () => {
  it('--json: rolls riderapp:15 back to riderapp:14, exits 0 on its own and prints the summary', async () => {
    // Act
    const { code, stdout, stderr } = await demo(['--json']);

    // Assess
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const summary = JSON.parse(stdout) as ScenarioSummary;
    expect(summary).toMatchObject({
      scenario: 'deployment-failed',
      outcome: { asExpected: true, unmet: [], execution: 'SUCCEEDED', notification: 'success', healthy: true },
      finalTaskDefinition: 'riderapp:14',
      deployments: 1,
    });
    expect(summary.apiCalls['ECS UpdateService']).toBe(1);
    expect(summary.notifications.map((n) => n.subject)).toEqual(['[riderapp] Rollback succeeded: riderapp-service riderapp:15 -> riderapp:14']);
    // the notification a person reads (the demo prints it): what happened, the state now, then what to do next
    const [headline, now, ...rest] = summary.notifications[0]?.message.split('\n') ?? [];
    expect(headline).toBe('Rollback succeeded: riderapp-service is back on riderapp:14 and healthy.');
    expect(now).toMatch(/^Now: riderapp-service is serving riderapp:14 at \d+\/\d+/);
    expect(rest).toContain('Next steps');
    expect(rest.join('\n')).toMatch(/Sent \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(times are UTC\)\./);
    expect([...new Set(summary.phases.filter((p) => p.type === 'Task').map((p) => p.state))]).toEqual([
      'Prepare',
      'ResolveTarget',
      'RegisterTaskDefinition',
      'UpdateService',
      'CheckStability',
      'ProbeHealth',
      'NotifySuccess',
      'ReleaseLock',
    ]);
    expect(summary.transitions).toBe(summary.phases.length);
  });

  it('exits 2 and lists the scenarios for an unknown scenario', async () => {
    // Act
    const { code, stdout, stderr } = await demo(['--scenario', 'rollback-to-yesterday']);

    // Assess
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('Unknown scenario "rollback-to-yesterday"');
    expect(stderr).toContain(
      'deployment-failed, alarm-after-deploy, manual-to-revision, dry-run, no-previous-version, rollback-also-fails, regression-after-complete, crash-loop-small-service, dependency-outage',
    );
  });
});
