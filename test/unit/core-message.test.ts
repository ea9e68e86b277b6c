import { describe, expect, it } from 'vitest';
import {
  buildNotification,
  executionConsoleUrl,
  MAX_SUBJECT_LENGTH,
  parseCause,
  phaseDurations,
  sanitizeSubject,
  serviceIdentity,
} from '../../lambdas/core/message';
import type { NotificationKind, RollbackState } from '../../lambdas/shared/types';

const ACCOUNT = '111122223333';
const REPO = `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/riderapp`;
const TD = `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition`;
const EXECUTION_ARN = `arn:aws:states:us-east-1:${ACCOUNT}:execution:riderapp-rollback:0f1e2d3c`;
const TARGET_GROUP = `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:targetgroup/riderapp-tg/0123456789abcdef`;
const NOW = '2024-05-01T12:01:42.000Z';
const TRIGGER = 'ECS deployment ecs-svc/1111 of riderapp:15 failed: ECS deployment circuit breaker: tasks failed to start.';

const rolledBack: RollbackState = {
  input: {},
  settings: { pollIntervalSeconds: 15, stabilizationTimeoutSeconds: 600 },
  execution: { id: EXECUTION_ARN, startTime: '2024-05-01T12:00:00.000Z' },
  request: {
    trigger: { kind: 'deployment-failed', id: 'ecs-svc/1111', time: '2024-05-01T11:59:50Z', summary: TRIGGER },
    region: 'us-east-1',
    account: ACCOUNT,
    cluster: 'riderapp-cluster',
    service: 'riderapp-service',
    serviceConfig: { cluster: 'riderapp-cluster', service: 'riderapp-service', ecrRepository: 'riderapp', alarmNames: [] },
    dryRun: false,
    rollbackType: 'application',
    action: 'rollback',
    lockHeld: true,
    preparedAt: '2024-05-01T12:00:01.000Z',
  },
  target: {
    outcome: 'rollback',
    source: 'deployment-history',
    reason: 'PreviousSuccessfulDeployment',
    message: 'riderapp:14 is the last deployment ECS reports as successful before riderapp:15',
    current: { arn: `${TD}/riderapp:15`, family: 'riderapp', revision: 15, images: [{ containerName: 'app', image: `${REPO}:v1.5.0` }] },
    taskDefinitionArn: `${TD}/riderapp:14`,
    resolvedAt: '2024-05-01T12:00:02.000Z',
  },
  registration: {
    taskDefinitionArn: `${TD}/riderapp:14`,
    family: 'riderapp',
    revision: 14,
    registered: false,
    images: [{ containerName: 'app', image: `${REPO}:v1.4.0` }],
    registeredAt: '2024-05-01T12:00:03.000Z',
  },
  deployment: { deploymentId: 'ecs-svc/2222', taskDefinitionArn: `${TD}/riderapp:14`, startedAt: '2024-05-01T12:00:04.000Z' },
  stability: {
    status: 'RECOVERED',
    reason: 'TargetsHealthy',
    message: 'Deployment ecs-svc/2222 (riderapp:14) recovered after 95 s: 3/3 tasks running, 3/3 healthy in 1 target group',
    elapsedSeconds: 95,
    waitSeconds: 0,
    desiredCount: 3,
    runningCount: 3,
    healthyTargets: 3,
    checks: 11,
    checkedAt: '2024-05-01T12:01:39.000Z',
  },
  health: {
    healthy: true,
    attempts: 1,
    message: `Healthy: ${TARGET_GROUP}: 3/3 targets healthy`,
    checkedAt: '2024-05-01T12:01:41.000Z',
    checks: [{ kind: 'target-group', ok: true, subject: TARGET_GROUP, detail: '3/3 targets healthy' }],
  },
};

const beforeUpdate: RollbackState = { ...rolledBack, registration: undefined, deployment: undefined, stability: undefined, health: undefined };

function build(kind: NotificationKind, state: Partial<RollbackState>) {
  return buildNotification({ kind, state: state as RollbackState }, { projectName: 'riderapp', now: NOW });
}

describe('success notification', () => {
  it('tells who rolled back from riderapp:15 to riderapp:14, why, how long each phase took, and where to look', () => {
    // Act
    const { subject, body, attributes } = build('success', rolledBack);

    // Assess
    expect(subject).toBe('[riderapp] Rollback succeeded: riderapp-service riderapp:15 -> riderapp:14');
    expect(attributes).toEqual({ status: 'success', cluster: 'riderapp-cluster', service: 'riderapp-service' });
    expect(body.split('\n')[0]).toBe('Rollback succeeded: riderapp-service is back on riderapp:14 and healthy.');
    for (const expected of [
      'riderapp-service (cluster riderapp-cluster, us-east-1)',
      `riderapp:15  ${REPO}:v1.5.0`,
      `riderapp:14 (reused)  ${REPO}:v1.4.0`,
      TRIGGER,
      'last deployment ECS reports as successful',
      '[ok] target-group',
      '3/3 targets healthy',
      'Recovered   99 s after the execution started',
      EXECUTION_ARN,
      `https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/${EXECUTION_ARN}`,
    ]) {
      expect(body).toContain(expected);
    }
    expect(body).toMatch(/Stabilisation\s+95 s/);
    expect(body).toMatch(/Health probe\s+2 s/);
  });

  it("names ECS's own rollback when the execution only followed it", () => {
    // Prepare
    const watched: RollbackState = {
      ...rolledBack,
      request: { ...rolledBack.request!, action: 'watch', actionReason: 'EcsRollbackInProgress', actionMessage: 'ECS is already rolling back to riderapp:14' },
      target: undefined,
      registration: undefined,
    };

    // Act
    const { subject, body } = build('success', watched);

    // Assess
    expect(subject).toBe('[riderapp] ECS rollback succeeded: riderapp-service -> riderapp:14');
    expect(body).toContain('ECS is already rolling back to riderapp:14 (EcsRollbackInProgress)');
    expect(body).not.toContain('Update service');
  });
});

describe('skipped notification', () => {
  it.each([
    [
      'a guard in Prepare (cool-down)',
      { ...beforeUpdate, target: undefined, request: { ...rolledBack.request!, action: 'skip' as const, actionReason: 'CooldownActive', actionMessage: 'riderapp-service was rolled back 4 minutes ago; cool-down lasts 15 minutes' } },
      'CooldownActive',
      'cool-down lasts 15 minutes',
    ],
    [
      'no target (already on it)',
      { ...beforeUpdate, target: { ...rolledBack.target!, outcome: 'skip' as const, reason: 'AlreadyOnTarget', message: 'riderapp-service already runs riderapp:14' } },
      'AlreadyOnTarget',
      'riderapp-service already runs riderapp:14',
    ],
  ])('says why when skipped by %s, and that nothing changed', (_scenario, state, reason, why) => {
    // Act
    const { subject, body, attributes } = build('skipped', state);

    // Assess
    expect(subject).toBe(`[riderapp] Rollback skipped: riderapp-service (${reason})`);
    expect(body).toContain('nothing was changed');
    expect(body).toContain(why);
    expect(attributes.status).toBe('skipped');
  });
});

describe('rollback type line', () => {
  it.each([
    ['database', 'database (advice only: the service is left as it is)'],
    ['infrastructure', 'infrastructure (advice only: the service is left as it is)'],
    ['full', 'full (the application image is rolled back; database and infrastructure steps are advice below)'],
  ] as const)('tells a %s rollback what was and was not done', (rollbackType, expected) => {
    // Prepare
    const state = { ...rolledBack, request: { ...rolledBack.request!, rollbackType } };

    // Act
    const { body } = build(rollbackType === 'full' ? 'success' : 'skipped', state);

    // Assess
    expect(body).toMatch(new RegExp(`^Type +${expected.replace(/[()]/g, '\\$&')}$`, 'm'));
  });

  it('adds no type line to an application rollback', () => {
    expect(build('success', rolledBack).body).not.toMatch(/^Type /m);
  });
});

describe('dry-run notification', () => {
  it('shows the plan: deploy riderapp:14 as it is', () => {
    // Act
    const { subject, body, attributes } = build('dry-run', { ...beforeUpdate, request: { ...rolledBack.request!, dryRun: true } });

    // Assess
    expect(subject).toBe('[riderapp] Rollback dry run: riderapp-service riderapp:15 -> riderapp:14');
    expect(body).toContain('nothing was changed');
    expect(body).toContain('Deploy riderapp:14 as it is');
    expect(body).toContain('UpdateService riderapp-service in riderapp-cluster: riderapp:15 -> riderapp:14');
    expect(attributes.status).toBe('dry-run');
  });

  it('names the health URL it would probe without its query token', () => {
    // Prepare
    const request = { ...rolledBack.request!, dryRun: true };
    const withUrl = { ...request, serviceConfig: { ...request.serviceConfig, healthCheckUrl: 'https://riderapp.example.com/health?token=abc123' } };

    // Act
    const { body } = build('dry-run', { ...beforeUpdate, request: withUrl });

    // Assess
    expect(body).toContain('https://riderapp.example.com/health?…');
    expect(body).not.toContain('abc123');
  });

  it('shows the plan: a copy of riderapp:15 with the previous image', () => {
    // Prepare
    const { taskDefinitionArn: _none, ...imageTarget } = rolledBack.target!;
    const state = {
      ...beforeUpdate,
      target: { ...imageTarget, source: 'ecr' as const, reason: 'PreviousEcrImage', image: { repositoryUri: REPO, tag: 'v1.4.0' } },
    };

    // Act
    const { subject, body } = build('dry-run', state);

    // Assess
    expect(subject).toBe('[riderapp] Rollback dry run: riderapp-service riderapp:15 -> riderapp:v1.4.0');
    expect(body).toContain(`Register a copy of riderapp:15 with image ${REPO}:v1.4.0`);
  });
});

describe('failure notification', () => {
  it('names the failing step and the error from a Lambda Cause', () => {
    // Prepare
    const cause = JSON.stringify({ errorType: 'AwsCallError', errorMessage: 'ecs:UpdateService: AccessDeniedException: not authorized', trace: ['...'] });
    const state = { ...beforeUpdate, registration: rolledBack.registration, failure: { step: 'UpdateService', error: 'AwsCallError', cause } };

    // Act
    const { subject, body, attributes } = build('failure', state);

    // Assess
    expect(subject).toBe('[riderapp] Rollback failed at UpdateService: riderapp-service');
    expect(body).toContain('Rollback FAILED at UpdateService for riderapp-service.');
    expect(body).toContain('Error       AwsCallError');
    expect(body).toContain('Message     ecs:UpdateService: AccessDeniedException: not authorized');
    expect(body).not.toContain('"trace"');
    expect(attributes).toEqual({ status: 'failure', cluster: 'riderapp-cluster', service: 'riderapp-service' });
  });

  it('shows a Cause that is not JSON as it is', () => {
    // Prepare
    const state = {
      ...rolledBack,
      health: undefined,
      failure: { step: 'CheckStability', error: 'DeploymentFailed', cause: 'Deployment ecs-svc/2222 (riderapp:14) failed: tasks failed to start' },
    };

    // Act
    const { body } = build('failure', state);

    // Assess
    expect(body).toContain('Error       DeploymentFailed');
    expect(body).toContain('Message     Deployment ecs-svc/2222 (riderapp:14) failed: tasks failed to start');
    expect(body).toContain('deployment ecs-svc/2222 of riderapp:14');
  });

  it("does not claim UpdateService was called when ECS's own rollback that the execution followed failed", () => {
    // Prepare
    const state: RollbackState = {
      ...rolledBack,
      request: { ...rolledBack.request!, action: 'watch', actionReason: 'EcsRollbackInProgress', actionMessage: 'ECS is already rolling back to riderapp:14' },
      target: undefined,
      registration: undefined,
      health: undefined,
      failure: { step: 'CheckStability', error: 'DeploymentFailed', cause: 'Deployment ecs-svc/2222 (riderapp:14) failed: tasks failed to start' },
    };

    // Act
    const { body } = build('failure', state);

    // Assess
    expect(body).not.toContain('UpdateService was called');
    expect(body).toMatch(/^Changed +Nothing by this execution: ECS's own rollback deployment ecs-svc\/2222 of riderapp:14/m);
  });

  it('makes sense without a request when Prepare rejected a malformed event', () => {
    // Prepare
    const state: Partial<RollbackState> = {
      input: { 'detail-type': 'Something Else', detail: {} },
      settings: rolledBack.settings,
      execution: rolledBack.execution,
      failure: {
        step: 'Prepare',
        error: 'ValidationError',
        cause: JSON.stringify({ errorType: 'ValidationError', errorMessage: 'detail-type: not an ECS deployment event, an alarm, or a manual start' }),
      },
    };

    // Act
    const { subject, body, attributes } = build('failure', state);

    // Assess
    expect(subject).toBe('[riderapp] Rollback failed at Prepare: ValidationError');
    expect(body).toContain('the input could not be used');
    expect(body).toContain('detail-type: not an ECS deployment event, an alarm, or a manual start');
    expect(body).toContain('Nothing: the service was not updated.');
    expect(body).toContain('"detail-type":"Something Else"');
    expect(attributes).toEqual({ status: 'failure', cluster: 'unknown', service: 'unknown' });
  });
});

describe('subject', () => {
  it.each([
    ['riderapp:15 → riderapp:14', 'riderapp:15 -> riderapp:14'],
    ['line one\nline two\r\n', 'line one line two'],
    ['café ✓', 'caf? ?'],
  ])('makes %j ASCII on one line', (raw, expected) => {
    // Act & Assess
    expect(sanitizeSubject(raw)).toBe(expected);
  });

  it('stays under 100 characters for a very long service name', () => {
    // Prepare
    const service = `riderapp-${'x'.repeat(150)}`;

    // Act
    const { subject } = build('success', { ...rolledBack, request: { ...rolledBack.request!, service } });

    // Assess
    expect(subject.length).toBeLessThanOrEqual(MAX_SUBJECT_LENGTH);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(subject.endsWith('...')).toBe(true);
  });
});

describe('helpers', () => {
  it.each([
    ['{"errorType":"ValidationError","errorMessage":"service: required"}', { errorType: 'ValidationError', errorMessage: 'service: required' }],
    ['Task timed out after 60.00 seconds', { errorMessage: 'Task timed out after 60.00 seconds' }],
    ['["not", "an", "error"]', { errorMessage: '["not", "an", "error"]' }],
  ])('parses the Cause %j', (cause, expected) => {
    // Act & Assess
    expect(parseCause(cause)).toEqual(expected);
  });

  it('finds cluster and service in an ECS event when there is no request', () => {
    // Act & Assess
    expect(serviceIdentity({ input: { resources: [`arn:aws:ecs:us-east-1:${ACCOUNT}:service/riderapp-cluster/riderapp-service`] } })).toEqual({
      cluster: 'riderapp-cluster',
      service: 'riderapp-service',
    });
  });

  it('measures each phase from the execution start through the step timestamps', () => {
    // Act & Assess
    expect(phaseDurations(rolledBack)).toEqual([
      { phase: 'Prepare', seconds: 1 },
      { phase: 'Resolve target', seconds: 1 },
      { phase: 'Register task definition', seconds: 1 },
      { phase: 'Update service', seconds: 1 },
      { phase: 'Stabilisation', seconds: 95 },
      { phase: 'Health probe', seconds: 2 },
    ]);
  });

  it('links no console page for an execution id that is not an ARN (local runs)', () => {
    // Act & Assess
    expect(executionConsoleUrl('local-execution-1')).toBeUndefined();
  });
});
