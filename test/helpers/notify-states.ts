/** The state Notify receives for each ending of a riderapp-service rollback (riderapp:15 failed, riderapp:14 is back). */
import type { NotifyInput, RollbackState, Trigger } from '../../lambdas/shared/types';

export const ACCOUNT = '111122223333';
export const TD = `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition`;
export const REPO = `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/riderapp`;
export const EXECUTION_ARN = `arn:aws:states:us-east-1:${ACCOUNT}:execution:riderapp-ecs-auto-rollback:0f1e2d3c`;
export const TARGET_GROUP = `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:targetgroup/riderapp-tg/0123456789abcdef`;
/** When Notify runs in these states. */
export const NOW = '2026-12-01T03:02:42.000Z';

/** Prepared and resolved: riderapp:15 runs, riderapp:14 is the last successful deployment. */
export const resolved: RollbackState = {
  input: {},
  settings: { pollIntervalSeconds: 15, stabilizationTimeoutSeconds: 600 },
  execution: { id: EXECUTION_ARN, startTime: '2026-12-01T03:00:00.000Z' },
  request: {
    trigger: {
      kind: 'deployment-failed',
      id: 'ecs-svc/1111',
      time: '2026-12-01T02:59:50.000Z',
      summary: 'ECS deployment ecs-svc/1111 of riderapp:15 failed: ECS deployment circuit breaker: tasks failed to start.',
      deploymentId: 'ecs-svc/1111',
      // the task-stop detector's evidence (h8-detector's Trigger.taskStops)
      taskStops: {
        deploymentId: 'ecs-svc/1111',
        taskDefinitionArn: `${TD}/riderapp:15`,
        deploymentStartedAt: '2026-12-01T02:57:00.000Z',
        threshold: 3,
        windowMinutes: 30,
        notifyOnly: false,
        stops: [
          {
            taskId: '5a8c3e7f0b2d4e6a',
            stopCode: 'EssentialContainerExited',
            stoppedReason: 'Essential container in task exited',
            exitCode: 1,
            cause: 'essential-container-exited',
            stoppedAt: '2026-12-01T02:59:41.000Z',
          },
        ],
      },
    } as Trigger,
    region: 'us-east-1',
    account: ACCOUNT,
    cluster: 'riderapp-cluster',
    service: 'riderapp-service',
    serviceConfig: { cluster: 'riderapp-cluster', service: 'riderapp-service', ecrRepository: 'riderapp', alarmNames: [], targetGroupArn: TARGET_GROUP },
    dryRun: false,
    rollbackType: 'application',
    action: 'rollback',
    lockHeld: true,
    preparedAt: '2026-12-01T03:00:01.000Z',
  },
  target: {
    outcome: 'rollback',
    source: 'deployment-history',
    reason: 'PreviousSuccessfulDeployment',
    message: 'riderapp:14 is the last deployment ECS reports as successful before riderapp:15',
    current: { arn: `${TD}/riderapp:15`, family: 'riderapp', revision: 15, images: [{ containerName: 'app', image: `${REPO}:v1.5.0` }] },
    taskDefinitionArn: `${TD}/riderapp:14`,
    resolvedAt: '2026-12-01T03:00:02.000Z',
  },
};

/** The rollback to riderapp:14 recovered: 3/3 running and healthy. */
export const rolledBack: RollbackState = {
  ...resolved,
  registration: {
    taskDefinitionArn: `${TD}/riderapp:14`,
    family: 'riderapp',
    revision: 14,
    registered: false,
    images: [{ containerName: 'app', image: `${REPO}:v1.4.0` }],
    registeredAt: '2026-12-01T03:00:02.400Z',
  },
  deployment: { deploymentId: 'ecs-svc/2222', taskDefinitionArn: `${TD}/riderapp:14`, startedAt: '2026-12-01T03:00:04.000Z' },
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
    checkedAt: '2026-12-01T03:01:39.000Z',
  },
  health: {
    healthy: true,
    attempts: 1,
    message: `Healthy: ${TARGET_GROUP}: 3/3 targets healthy`,
    checkedAt: '2026-12-01T03:01:41.000Z',
    checks: [{ kind: 'target-group', ok: true, subject: TARGET_GROUP, detail: '3/3 targets healthy' }],
  },
};

/** An alarm during the cool-down of an earlier rollback: Prepare skipped it. */
export const cooldownSkip: RollbackState = {
  ...resolved,
  target: undefined,
  request: {
    ...resolved.request!,
    trigger: { kind: 'alarm', id: 'riderapp-unhealthy-hosts@2026-12-01T03:00:00Z', time: '2026-12-01T03:00:00.000Z', summary: 'Alarm riderapp-unhealthy-hosts is ALARM', alarmName: 'riderapp-unhealthy-hosts' },
    action: 'skip',
    actionReason: 'CooldownActive',
    actionMessage: 'riderapp-service in riderapp-cluster was rolled back recently; automatic rollbacks pause until 2026-12-01T03:25:00.000Z (cool-down).',
    lockHeld: false,
  },
};

/** A manual start while execution auto-1 holds the lock. */
export const HOLDER_ARN = `arn:aws:states:us-east-1:${ACCOUNT}:execution:riderapp-ecs-auto-rollback:auto-1`;
export const lockedSkip: RollbackState = {
  ...resolved,
  target: undefined,
  request: {
    ...resolved.request!,
    trigger: { kind: 'manual', id: EXECUTION_ARN, time: '2026-12-01T03:00:00.000Z', summary: 'Manual rollback requested by alice', requestedBy: 'alice' },
    action: 'skip',
    actionReason: 'RollbackInProgress',
    actionMessage: `Execution ${HOLDER_ARN} is already rolling back riderapp-service in riderapp-cluster (its lock expires at 2026-12-01T05:00:00.000Z); this trigger changes nothing.`,
    lockHeld: false,
  },
};

/** A dry run: the plan to deploy riderapp:14. */
export const dryRun: RollbackState = { ...resolved, request: { ...resolved.request!, dryRun: true, trigger: { kind: 'manual', id: EXECUTION_ARN, time: '2026-12-01T03:00:00.000Z', summary: 'Manual dry run requested by alice', requestedBy: 'alice' } } };

/** riderapp:14 did not become stable either: the service is degraded. */
export const stabilityFailed: RollbackState = {
  ...rolledBack,
  health: undefined,
  stability: { ...rolledBack.stability!, status: 'FAILED', reason: 'DeploymentFailed', message: 'Deployment ecs-svc/2222 (riderapp:14) failed: tasks failed to start', runningCount: 1, healthyTargets: 1 },
  failure: { step: 'CheckStability', error: 'DeploymentFailed', cause: JSON.stringify({ errorType: 'DeploymentFailed', errorMessage: 'Deployment ecs-svc/2222 (riderapp:14) failed: tasks failed to start' }) },
};

/** Every kind, as the ASL invokes Notify. */
export const NOTIFY_INPUTS: ReadonlyArray<readonly [string, NotifyInput]> = [
  ['success', { kind: 'success', state: rolledBack }],
  ['skipped (cool-down)', { kind: 'skipped', state: cooldownSkip }],
  ['skipped (lock held)', { kind: 'skipped', state: lockedSkip }],
  ['dry-run', { kind: 'dry-run', state: dryRun }],
  ['failure', { kind: 'failure', state: stabilityFailed }],
];
