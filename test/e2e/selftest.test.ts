/**
 * `ecs-rollback selftest` end to end on the stand-in: one dry-run execution per watched service on
 * the Step Functions stand-in (the real ASL with the bundled functions), the plan or the error per
 * service, nothing changed, no notification published.
 */
import { describe, expect, it } from 'vitest';
import type { SelftestResult } from '../../cli/selftest';
import { runCli } from '../../cli/run';
import { deployStack } from '../../local/harness/deployed-stack';
import { RIDERAPP, type World } from '../../local/harness/index';
import { stepFunctionsOf } from '../../local/harness/run';
import { useBundledWorlds } from '../helpers/bundled-worlds';
import { standInCli } from '../helpers/stand-in-cli';

const worlds = useBundledWorlds();

const taskDefinitionOfService = (world: World): string | undefined => world.model.findService(RIDERAPP.cluster, RIDERAPP.service)?.taskDefinitionArn;

async function selftest(world: World, json: boolean): Promise<{ code: number; stdout: string; stderr: string }> {
  const cli = standInCli(world);
  const code = await runCli(['selftest', '--project', 'riderapp', ...(json ? ['--json'] : [])], cli.io);
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}

describe('ecs-rollback selftest on the stand-in', () => {
  it('reports the plan of each watched service (riderapp:14 would go back to riderapp:13) and the error of a service that does not exist; nothing changes, nothing is published', async () => {
    // Prepare
    const world = await worlds.start({
      services: [
        { cluster: RIDERAPP.cluster, service: RIDERAPP.service, ecrRepository: RIDERAPP.ecrRepository, alarmNames: [RIDERAPP.alarmName] },
        { cluster: RIDERAPP.cluster, service: 'riderapp-worker', ecrRepository: RIDERAPP.ecrRepository, alarmNames: [] },
      ],
    });
    deployStack(world);
    const before = taskDefinitionOfService(world);

    // Act
    const result = await selftest(world, true);

    // Assess
    expect(result.code, result.stderr).toBe(7);
    const report = JSON.parse(result.stdout) as { services: SelftestResult[] };
    const [rider, worker] = report.services;
    expect(rider).toMatchObject({ service: RIDERAPP.service, result: 'plan' });
    expect(rider?.lines.join('\n')).toContain('riderapp:13');
    expect(worker).toMatchObject({ service: 'riderapp-worker', result: 'error' });
    expect(worker?.lines.join('\n')).toContain('riderapp-worker');
    expect(taskDefinitionOfService(world)).toBe(before);
    expect(world.standIn.calls.succeeded('UpdateService', 'ECS')).toHaveLength(0);
    expect(world.standIn.calls.succeeded('RegisterTaskDefinition', 'ECS')).toHaveLength(0);
    expect(world.standIn.published).toEqual([]);
    expect(stepFunctionsOf(world).all().map((e) => e.name)).toEqual([expect.stringMatching(/^selftest-riderapp-service-/), expect.stringMatching(/^selftest-riderapp-worker-/)]);
    // and doctor does not count the self-tests among the rollbacks' endings
    const check = standInCli(world);
    await runCli(['doctor', '--project', 'riderapp', '--json'], check.io);
    const executions = (JSON.parse(check.stdout()) as { findings: { check: string; status: string; message: string }[] }).findings.find((f) => f.check === 'executions');
    expect(executions).toMatchObject({ status: 'ok', message: 'no rollback yet (2 self-test(s) not counted)' });
  });

  it('prints the plan per service and exits 0 when every service produced one', async () => {
    const world = await worlds.start();
    deployStack(world);

    const result = await selftest(world, false);

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^PLAN {3}riderapp-cluster\/riderapp-service {2}\(selftest-riderapp-service-/m);
    expect(result.stdout).toContain('1 of 1 service(s) produced a plan. Nothing was changed; no notification was sent.');
    expect(world.standIn.published).toEqual([]);
  });

  it('names the denied action and resource when a function may not read what the plan needs', async () => {
    // Prepare: ECS answers AccessDenied to ListServiceDeployments, as IAM does for a role without the grant
    const world = await worlds.start();
    deployStack(world);
    const resource = `arn:aws:ecs:us-east-1:111122223333:service/${RIDERAPP.cluster}/${RIDERAPP.service}`;
    world.standIn.faults.serverError('ECS', 'ListServiceDeployments', {
      code: 'AccessDeniedException',
      status: 400,
      message: `User: arn:aws:sts::111122223333:assumed-role/riderapp-PrepareRole/riderapp-Prepare is not authorized to perform: ecs:ListServiceDeployments on resource: ${resource} because no identity-based policy allows the ecs:ListServiceDeployments action`,
    });

    // Act
    const result = await selftest(world, true);

    // Assess
    expect(result.code, result.stderr).toBe(7);
    const [rider] = (JSON.parse(result.stdout) as { services: SelftestResult[] }).services;
    expect(rider).toMatchObject({ result: 'error', denied: { action: 'ecs:ListServiceDeployments', resource } });
    expect(world.standIn.published).toEqual([]);
  });
});
