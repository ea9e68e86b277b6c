/** The state the tasks after Prepare get: a rollback of riderapp-service that Prepare decided on and holds the lock for. */
import type { RollbackState, ServiceConfig, Trigger } from '../../lambdas/shared/types';

const CLUSTER = 'riderapp-cluster';
const SERVICE = 'riderapp-service';
/** The execution of {@link preparedRiderappRollback}. */
export const EXECUTION_ID = 'arn:aws:states:us-east-1:111122223333:execution:riderapp-rollback:exec-1';
/** When that execution started. */
export const EXECUTION_START = '2024-05-01T12:00:00.000Z';

/** What a test varies in {@link preparedRiderappRollback}. */
export interface PreparedRollbackOptions {
  /** Added to riderapp-service's ServiceConfig (e.g. targetGroupArn, healthCheckUrl). */
  readonly serviceConfig?: Partial<ServiceConfig>;
  /** @default a deployment-failed trigger `evt-1` at 2024-05-01T11:59:50Z */
  readonly trigger?: Trigger;
}

/** Execution exec-1 started 2024-05-01T12:00:00Z for a failed deployment of riderapp-service, prepared to roll back (input, settings, execution, request). */
export function preparedRiderappRollback(options: PreparedRollbackOptions = {}): RollbackState {
  return {
    input: {},
    settings: { pollIntervalSeconds: 15, stabilizationTimeoutSeconds: 600 },
    execution: { id: EXECUTION_ID, startTime: EXECUTION_START },
    request: {
      cluster: CLUSTER,
      service: SERVICE,
      region: 'us-east-1',
      serviceConfig: { cluster: CLUSTER, service: SERVICE, ecrRepository: 'riderapp', alarmNames: [], ...options.serviceConfig },
      trigger: options.trigger ?? { kind: 'deployment-failed', id: 'evt-1', time: '2024-05-01T11:59:50Z', summary: 'ECS deployment failed' },
      dryRun: false,
      rollbackType: 'application',
      action: 'rollback',
      lockHeld: true,
      preparedAt: '2024-05-01T12:00:01.000Z',
    },
  };
}
