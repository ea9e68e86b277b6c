import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it } from 'vitest';
import { classifyStop } from '../../lambdas/core/task-stops';
import { narrowTaskStateChange } from '../../lambdas/detect-task-stops/detect';
import { checkEvent } from '../../local/stand-in/contract';
import { type StandIn, type StandInEvent, startStandIn } from '../../local/stand-in/index';

const CLUSTER = 'riderapp-cluster';
const SERVICE = 'riderapp-service';

let standIn: StandIn | undefined;
let ecs: ECSClient | undefined;

afterEach(async () => {
  ecs?.destroy();
  await standIn?.stop();
  standIn = undefined;
  ecs = undefined;
});

const taskEvents = (events: StandInEvent[]) => events.filter((e) => e['detail-type'] === 'ECS Task State Change');

describe('ECS Task State Change events of the stand-in', () => {
  it('emits, for each riderapp:15 task that fails to start, one STOPPED event in AWS shape that the detector counts', async () => {
    // Prepare
    standIn = await startStandIn({ speed: 0, riderapp: { v15Behaviour: 'bad' }, start: Date.parse('2025-06-02T09:00:00Z') });
    ecs = new ECSClient(standIn.clientConfig({ maxAttempts: 1 }));
    const events: StandInEvent[] = [];
    standIn.onEvent((event) => events.push(event));

    // Act
    await ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: SERVICE, taskDefinition: 'riderapp:15' }));
    standIn.model.advance(10 * 60_000);

    // Assess
    const v15 = taskEvents(events).filter((e) => (e.detail as { taskDefinitionArn: string }).taskDefinitionArn.endsWith('riderapp:15'));
    // The circuit breaker stops the tasks still starting when it fails the deployment: the scheduler's stops, not the version's.
    const byBreaker = (e: StandInEvent) => /^ECS deployment circuit breaker/.test((e.detail as { stoppedReason?: string }).stoppedReason ?? '');
    const failed = v15.filter((e) => !byBreaker(e));
    expect(failed.length).toBeGreaterThanOrEqual(3);
    for (const event of v15) expect(checkEvent(event)).toEqual([]);
    for (const event of failed) {
      const facts = narrowTaskStateChange(event);
      expect(facts).toMatchObject({ desiredStatus: 'STOPPED', lastStatus: 'STOPPED', group: `service:${SERVICE}` });
      expect(facts.startedBy).toMatch(/^ecs-svc\//);
      expect(classifyStop(facts)).toMatchObject({ counts: true, cause: 'essential-container-exited' });
    }
    for (const event of v15.filter(byBreaker)) expect(classifyStop(narrowTaskStateChange(event))).toMatchObject({ counts: false });
    const service = (await ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [SERVICE] }))).services?.[0];
    expect(service?.deployments?.some((d) => d.taskDefinition?.endsWith('riderapp:15'))).toBe(true);
  });

  it('emits the scale-in of riderapp:14 tasks during a good deployment as ServiceSchedulerInitiated stops the detector does not count', async () => {
    // Prepare
    standIn = await startStandIn({ speed: 0, riderapp: { v15Behaviour: 'good' }, start: Date.parse('2025-06-02T09:00:00Z') });
    ecs = new ECSClient(standIn.clientConfig({ maxAttempts: 1 }));
    const events: StandInEvent[] = [];
    standIn.onEvent((event) => events.push(event));

    // Act
    await ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: SERVICE, taskDefinition: 'riderapp:15' }));
    standIn.model.advance(15 * 60_000);

    // Assess
    const old = taskEvents(events).filter((e) => (e.detail as { taskDefinitionArn: string }).taskDefinitionArn.endsWith('riderapp:14'));
    expect(old.length).toBeGreaterThan(0);
    for (const event of old) {
      expect(checkEvent(event)).toEqual([]);
      const facts = narrowTaskStateChange(event);
      expect(facts).toMatchObject({ desiredStatus: 'STOPPED', stopCode: 'ServiceSchedulerInitiated' });
      expect(facts.stoppedReason).toMatch(/^Scaling activity initiated by \(deployment ecs-svc\//);
      expect(classifyStop(facts).counts).toBe(false);
    }
    expect(old.map((e) => (e.detail as { lastStatus: string }).lastStatus)).toContain('STOPPED');
  });

  it('stops a regressed riderapp:15 task for failed ELB health checks when the model says so, and a user StopTask and a maintenance retirement with their own stop codes', async () => {
    // Prepare
    standIn = await startStandIn({
      speed: 0,
      riderapp: { v15Behaviour: 'regression' },
      start: Date.parse('2025-06-02T09:00:00Z'),
      timings: { unhealthyTaskStopMs: 10_000 },
    });
    ecs = new ECSClient(standIn.clientConfig({ maxAttempts: 1 }));
    const events: StandInEvent[] = [];
    standIn.onEvent((event) => events.push(event));
    await ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: SERVICE, taskDefinition: 'riderapp:15' }));
    standIn.model.advance(9 * 60_000);
    const running = standIn.model.listTasks({ cluster: CLUSTER, serviceName: SERVICE });
    const [first, second] = running;

    // Act
    standIn.model.stopServiceTask(CLUSTER, first!.arn, { stopCode: 'UserInitiated', reason: 'Task stopped by user' });
    standIn.model.stopServiceTask(CLUSTER, second!.arn, { stopCode: 'TerminationNotice', reason: 'Task retired for Fargate platform maintenance' });
    standIn.model.advance(15 * 60_000);

    // Assess
    const facts = taskEvents(events).map((e) => {
      expect(checkEvent(e)).toEqual([]);
      return narrowTaskStateChange(e);
    });
    const byCode = (code: string) => facts.filter((f) => f.stopCode === code && f.taskDefinitionArn.endsWith('riderapp:15'));
    expect(byCode('UserInitiated').map((f) => classifyStop(f).counts)).toContain(false);
    expect(byCode('TerminationNotice').map((f) => classifyStop(f).counts)).toContain(false);
    const elbKills = facts.filter((f) => f.stoppedReason?.startsWith('Task failed ELB health checks in (target-group '));
    expect(elbKills.length).toBeGreaterThan(0);
    for (const kill of elbKills) expect(classifyStop(kill)).toMatchObject({ counts: true, cause: 'elb-health-check' });
  });
});
