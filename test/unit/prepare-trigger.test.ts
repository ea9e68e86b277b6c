import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTrigger, type TriggerContext } from '../../lambdas/core/trigger';
import { ValidationError } from '../../lambdas/shared/errors';
import type { ServiceConfig } from '../../lambdas/shared/types';

const EXECUTION_ID = 'arn:aws:states:us-east-1:111122223333:execution:riderapp-rollback:0b7f3a1c';
const RIDERAPP: ServiceConfig = {
  cluster: 'riderapp-cluster',
  service: 'riderapp-service',
  ecrRepository: 'riderapp',
  alarmNames: ['riderapp-unhealthy-hosts'],
};
const WORKER: ServiceConfig = {
  cluster: 'riderapp-cluster',
  service: 'riderapp-worker',
  ecrRepository: 'riderapp',
  alarmNames: ['riderapp-worker-errors'],
};
const ctx: TriggerContext = {
  executionId: EXECUTION_ID,
  executionStartTime: '2025-03-04T10:25:00.000Z',
  services: [RIDERAPP],
  projectName: 'riderapp',
  defaultRegion: 'eu-west-1',
};

const event = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../fixtures/events/${name}.json`, import.meta.url), 'utf8'));

const ecsFailed = event('ecs-deployment-failed');
const alarmEvent = event('cloudwatch-alarm-state-change');
const alarmDetail = alarmEvent.detail as Record<string, unknown>;
const alarmState = alarmDetail.state as Record<string, unknown>;

function validationErrorOf(run: () => unknown): ValidationError {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('parsing an ECS deployment failure event', () => {
  it('takes riderapp-cluster/riderapp-service from the service ARN and the deployment from the detail', () => {
    // Act
    const parsed = parseTrigger(ecsFailed, ctx);

    // Assess
    expect(parsed).toEqual({
      trigger: {
        kind: 'deployment-failed',
        id: 'deployment:ecs-svc/4520982937154920815',
        time: '2025-03-04T10:12:30.000Z',
        summary:
          'ECS deployment ecs-svc/4520982937154920815 of riderapp-cluster/riderapp-service failed: ECS deployment circuit breaker: task failed to start.',
        deploymentId: 'ecs-svc/4520982937154920815',
        reason: 'ECS deployment circuit breaker: task failed to start.',
      },
      region: 'us-east-1',
      account: '111122223333',
      serviceConfig: RIDERAPP,
      dryRun: false,
      rollbackType: 'application',
    });
  });

  it('falls back to the event id when the detail has no deployment id', () => {
    // Prepare
    const { deploymentId: _omitted, ...detail } = ecsFailed.detail as Record<string, unknown>;

    // Act
    const parsed = parseTrigger({ ...ecsFailed, detail }, ctx);

    // Assess
    expect(parsed.trigger.id).toBe('event:8a1b2c3d-4e5f-4a6b-9c7d-0e1f2a3b4c5d');
  });

  it('finds the cluster from the configuration for an old-format service ARN without one', () => {
    // Act
    const parsed = parseTrigger(
      { ...ecsFailed, resources: ['arn:aws:ecs:us-east-1:111122223333:service/riderapp-service'] },
      ctx,
    );

    // Assess
    expect(parsed.serviceConfig).toEqual(RIDERAPP);
  });
});

describe('parsing a CloudWatch alarm event', () => {
  it('maps riderapp-unhealthy-hosts to riderapp-service through the configuration', () => {
    // Act
    const parsed = parseTrigger(alarmEvent, { ...ctx, services: [WORKER, RIDERAPP] });

    // Assess
    expect(parsed.serviceConfig).toEqual(RIDERAPP);
    expect(parsed.trigger).toMatchObject({
      kind: 'alarm',
      id: 'alarm:riderapp-unhealthy-hosts@2025-03-04T10:20:04.988+0000',
      time: '2025-03-04T10:20:04.988Z',
      alarmName: 'riderapp-unhealthy-hosts',
    });
    expect(parsed.trigger.summary).toMatch(/^Alarm riderapp-unhealthy-hosts for riderapp-cluster\/riderapp-service went into ALARM/);
    expect(parsed).toMatchObject({ region: 'us-east-1', account: '111122223333', dryRun: false });
  });
});

describe('parsing a manual start', () => {
  it('reads a confirmed rollback of riderapp-service to riderapp:14', () => {
    // Act
    const parsed = parseTrigger(event('manual-start'), ctx);

    // Assess
    expect(parsed).toEqual({
      trigger: {
        kind: 'manual',
        id: EXECUTION_ID,
        time: '2025-03-04T10:25:00.000Z',
        summary:
          'Manual rollback of riderapp-cluster/riderapp-service to task definition riderapp:14 requested by octocat: riderapp:15 returns 500 on /rides',
        requestedBy: 'octocat',
      },
      region: 'us-east-1',
      account: '111122223333',
      serviceConfig: RIDERAPP,
      target: { taskDefinition: 'riderapp:14' },
      dryRun: false,
      reason: 'riderapp:15 returns 500 on /rides',
      rollbackType: 'application',
    });
  });

  it('reads a dry run of the project’s default service without confirm', () => {
    // Act
    const parsed = parseTrigger(event('manual-dry-run'), { ...ctx, services: [WORKER, RIDERAPP] });

    // Assess
    expect(parsed).toMatchObject({ dryRun: true, serviceConfig: RIDERAPP });
    expect(parsed.trigger.summary).toContain('Dry run');
  });

  it('marks a self-test dry run (ecs-rollback selftest) so Notify neither publishes nor counts it', () => {
    // Act
    const parsed = parseTrigger({ cluster: 'riderapp-cluster', service: 'riderapp-service', dryRun: true, selftest: true }, ctx);

    // Assess
    expect(parsed).toMatchObject({ dryRun: true, selftest: true });
  });

  it.each([
    { target: { taskDefinition: 'riderapp:14' } },
    { target: { taskDefinition: 'arn:aws:ecs:us-east-1:111122223333:task-definition/riderapp:14' } },
    { target: { imageTag: 'v1.4.2' } },
    { target: { imageDigest: `sha256:${'a1'.repeat(32)}` } },
    { target: { commit: '3f9c2ab' } },
  ])('accepts the explicit target $target', ({ target }) => {
    // Act
    const parsed = parseTrigger({ cluster: 'riderapp-cluster', service: 'riderapp-service', confirm: 'CONFIRM', target }, ctx);

    // Assess
    expect(parsed.target).toEqual(target);
  });

  it('takes the region from the execution ARN, else from the function’s region', () => {
    // Act
    const parsed = parseTrigger({ service: 'riderapp-service', dryRun: true }, { ...ctx, executionId: 'local-1' });

    // Assess
    expect(parsed.region).toBe('eu-west-1');
    expect(parsed.account).toBeUndefined();
  });
});

const manual = { cluster: 'riderapp-cluster', service: 'riderapp-service', confirm: 'CONFIRM' };

describe('rejecting bad input with the field named', () => {
  it.each([
    {
      scenario: 'an ECS deployment that completed',
      input: event('ecs-deployment-completed'),
      field: 'detail.eventName',
      message: 'detail.eventName: expected SERVICE_DEPLOYMENT_FAILED, got SERVICE_DEPLOYMENT_COMPLETED',
    },
    {
      scenario: 'an ECS deployment in progress',
      input: event('ecs-deployment-in-progress'),
      field: 'detail.eventName',
      message: 'detail.eventName: expected SERVICE_DEPLOYMENT_FAILED, got SERVICE_DEPLOYMENT_IN_PROGRESS',
    },
    {
      scenario: 'a failure of a service not configured for rollback',
      input: { ...ecsFailed, resources: ['arn:aws:ecs:us-east-1:111122223333:service/riderapp-cluster/riderapp-api'] },
      field: 'service',
      message: 'service: riderapp-api is not configured for rollback; configured: riderapp-cluster/riderapp-service',
    },
    {
      scenario: 'a failure in another cluster',
      input: { ...ecsFailed, resources: ['arn:aws:ecs:us-east-1:111122223333:service/staging-cluster/riderapp-service'] },
      field: 'service',
      message:
        'service: staging-cluster/riderapp-service is not configured for rollback; configured: riderapp-cluster/riderapp-service',
    },
    {
      scenario: 'an ECS event without a service ARN',
      input: { ...ecsFailed, resources: [] },
      field: 'resources',
      message: undefined,
    },
    {
      scenario: 'an ECS event without a detail',
      input: { ...ecsFailed, detail: undefined },
      field: 'detail',
      message: undefined,
    },
    {
      scenario: 'an event without a region',
      input: { ...ecsFailed, region: undefined },
      field: 'region',
      message: 'region: required',
    },
    {
      scenario: 'an alarm that went back to OK',
      input: { ...alarmEvent, detail: { ...alarmDetail, state: { ...alarmState, value: 'OK' } } },
      field: 'detail.state.value',
      message: 'detail.state.value: expected ALARM, got OK',
    },
    {
      scenario: 'an alarm without a state timestamp',
      input: { ...alarmEvent, detail: { ...alarmDetail, state: { ...alarmState, timestamp: undefined } } },
      field: 'detail.state.timestamp',
      message: undefined,
    },
    {
      scenario: 'an alarm linked to no configured service',
      input: { ...alarmEvent, detail: { ...alarmDetail, alarmName: 'riderapp-db-cpu' } },
      field: 'detail.alarmName',
      message: undefined,
    },
    {
      scenario: 'an event of another kind',
      input: { ...ecsFailed, 'detail-type': 'ECS Task State Change' },
      field: 'detail-type',
      message: undefined,
    },
    {
      scenario: 'a manual start without confirm',
      input: { cluster: 'riderapp-cluster', service: 'riderapp-service' },
      field: 'confirm',
      message: 'confirm: manual rollbacks need "confirm": "CONFIRM" unless dryRun is true',
    },
    {
      scenario: 'a self-test that is not a dry run',
      input: { cluster: 'riderapp-cluster', service: 'riderapp-service', confirm: 'CONFIRM', selftest: true },
      field: 'selftest',
      message: 'selftest: a self-test is a dry run: give dryRun: true with selftest: true',
    },
    {
      scenario: 'a manual start confirmed in lower case',
      input: { ...manual, confirm: 'confirm' },
      field: 'confirm',
      message: undefined,
    },
    {
      scenario: 'a manual start with two targets',
      input: { ...manual, target: { imageTag: 'v1.4.2', commit: '3f9c2ab' } },
      field: 'target',
      message: 'target: give exactly one of taskDefinition, imageTag, imageDigest, commit',
    },
    {
      scenario: 'a manual start with an empty target',
      input: { ...manual, target: {} },
      field: 'target',
      message: 'target: give exactly one of taskDefinition, imageTag, imageDigest, commit',
    },
    {
      scenario: 'a manual start with a malformed digest',
      input: { ...manual, target: { imageDigest: 'sha256:abc' } },
      field: 'target.imageDigest',
      message: undefined,
    },
    {
      scenario: 'a manual start with a task definition family and no revision',
      input: { ...manual, target: { taskDefinition: 'riderapp' } },
      field: 'target.taskDefinition',
      message: undefined,
    },
    {
      scenario: 'a manual start with a misspelt field',
      input: { ...manual, dryrun: true },
      field: 'dryrun',
      message: undefined,
    },
    {
      scenario: 'a manual start with an unknown rollback type',
      input: { ...manual, rollbackType: 'everything' },
      field: 'rollbackType',
      message: undefined,
    },
    {
      scenario: 'a manual start for an unknown service',
      input: { ...manual, service: 'riderapp-api' },
      field: 'service',
      message: 'service: riderapp-api is not configured for rollback; configured: riderapp-cluster/riderapp-service',
    },
    {
      scenario: 'a manual start for another project',
      input: { project: 'shopapp', dryRun: true },
      field: 'project',
      message: 'project: expected riderapp, got shopapp',
    },
    {
      scenario: 'a manual start naming no service',
      input: { dryRun: true },
      field: 'service',
      message: undefined,
    },
    {
      scenario: 'an input that is not an object',
      input: 'roll back please',
      field: 'input',
      message: undefined,
    },
  ])('rejects $scenario (field $field)', ({ input, field, message }) => {
    // Act
    const error = validationErrorOf(() => parseTrigger(input, ctx));

    // Assess
    expect(error.field).toBe(field);
    expect(error.message.startsWith(`${field}: `)).toBe(true);
    if (message !== undefined) expect(error.message).toBe(message);
  });

  it('asks for cluster and service when the project has several services and none follows the naming convention', () => {
    // Act
    const error = validationErrorOf(() =>
      parseTrigger(
        { project: 'riderapp', dryRun: true },
        { ...ctx, services: [WORKER, { ...RIDERAPP, service: 'riderapp-api' }] },
      ),
    );

    // Assess
    expect(error.message).toBe(
      'project: riderapp has several services (riderapp-cluster/riderapp-worker, riderapp-cluster/riderapp-api); give cluster and service',
    );
  });
});

describe('over-long input: the limit named, the value cut', () => {
  it.each([
    { field: 'reason', limit: 1000 },
    { field: 'requestedBy', limit: 200 },
  ])('answers an over-long $field with its length limit ($limit characters), not "expected a string"', ({ field, limit }) => {
    // Act
    const error = validationErrorOf(() => parseTrigger({ ...manual, [field]: 'x'.repeat(limit + 1) }, ctx));

    // Assess
    expect(error.field).toBe(field);
    expect(error.message).toBe(`${field}: expected at most ${limit} characters, got ${limit + 1}`);
  });

  it.each([
    { field: 'reason', limit: 1000 },
    { field: 'requestedBy', limit: 200 },
  ])('accepts a $field of exactly $limit characters', ({ field, limit }) => {
    // Act
    const parsed = parseTrigger({ ...manual, [field]: 'x'.repeat(limit) }, ctx);

    // Assess
    expect(parsed.trigger.summary).toContain('x'.repeat(limit));
  });

  const HUGE = 's'.repeat(200_000);
  it.each([
    { scenario: 'a 200 kB service name in a manual start', input: { ...manual, service: HUGE }, field: 'service' },
    {
      scenario: 'a 200 kB service name in a deployment failure event',
      input: { ...ecsFailed, resources: [`arn:aws:ecs:us-east-1:111122223333:service/riderapp-cluster/${HUGE}`] },
      field: 'service',
    },
    { scenario: 'a 200 kB project name', input: { project: HUGE, dryRun: true }, field: 'project' },
    { scenario: 'a 200 kB image tag', input: { ...manual, target: { imageTag: HUGE } }, field: 'target.imageTag' },
    { scenario: 'a 200 kB alarm name', input: { ...alarmEvent, detail: { ...alarmDetail, alarmName: HUGE } }, field: 'detail.alarmName' },
    { scenario: 'a 200 kB input string', input: HUGE, field: 'input' },
    { scenario: 'a 200 kB unknown field name', input: { ...manual, [HUGE]: true }, field: undefined },
  ])('quotes only a short prefix of $scenario', ({ input, field }) => {
    // Act
    const error = validationErrorOf(() => parseTrigger(input, ctx));

    // Assess
    if (field !== undefined) expect(error.field).toBe(field);
    expect(error.message.length).toBeLessThan(400);
    expect(error.message).toContain(`${'s'.repeat(64)}… (200000 characters)`);
  });
});
