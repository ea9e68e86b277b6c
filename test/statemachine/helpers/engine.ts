/**
 * The real handlers behind the real ASL, for state-machine tests: a dynalite state table, the
 * functions' environment (set before the handler modules are imported: some read it at import),
 * and runLocally with the riderapp world's clock and faults.
 */
import { DeleteItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { vi } from 'vitest';
import { SERVICES_CONFIG_ITEM_ID } from '../../../lambdas/shared/config';
import type { TaskFunctionId } from '../../../statemachine/definition';
import { type LocalRunResult, runLocally, type TaskHandler } from '../../../statemachine/local';
import { putServicesConfig } from '../../../local/harness/state-table';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite';
import { RIDERAPP, type RiderappWorld } from './riderapp-world';

/** The running engine: handlers, the state table, and a way to run one execution. */
export interface Engine {
  readonly handlers: Record<TaskFunctionId, TaskHandler>;
  readonly dynamo: LocalDynamo;
  /** Empties the state table (locks, cool-downs, trigger claims, deployment records), keeping the services configuration. */
  clearStateTable(): Promise<void>;
  close(): Promise<void>;
}

/** What one execution is run with. */
export interface RunOptions {
  readonly input: unknown;
  readonly executionName: string;
  readonly settings?: { readonly pollIntervalSeconds: number; readonly stabilizationTimeoutSeconds: number };
  /** Handlers to use in place of the engine's for this run (a crash, a hang). */
  readonly handlers?: Partial<Record<TaskFunctionId, TaskHandler>>;
  /** Real TimeoutSeconds of some Task states (see runLocally). */
  readonly taskTimeoutSeconds?: Readonly<Record<string, number>>;
}

/** ServiceConfig of riderapp, as the CDK stack writes it into the state table. */
export const RIDERAPP_SERVICE_CONFIG = {
  cluster: RIDERAPP.cluster,
  service: RIDERAPP.service,
  ecrRepository: RIDERAPP.ecrRepository,
  alarmNames: ['riderapp-unhealthy-hosts'],
};

/** Starts dynalite, sets the functions' environment, then imports the handlers. */
export async function startEngine(): Promise<Engine> {
  const dynamo = await startDynalite('riderapp-rollback-state');
  await putServicesConfig(dynamo.client, dynamo.tableName, [RIDERAPP_SERVICE_CONFIG]);
  const env: Record<string, string> = {
    PROJECT_NAME: 'riderapp',
    STATE_TABLE_NAME: dynamo.tableName,
    TOPIC_ARN: RIDERAPP.topicArn,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    PROBE_ATTEMPTS: '2',
    PROBE_INTERVAL_SECONDS: '1',
    PROBE_TIMEOUT_SECONDS: '1',
  };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);

  const [prepare, resolveTarget, register, updateService, checkStability, probeHealth, notify, releaseLock] =
    await Promise.all([
      import('../../../lambdas/prepare/handler'),
      import('../../../lambdas/resolve-target/handler'),
      import('../../../lambdas/register-task-definition/handler'),
      import('../../../lambdas/update-service/handler'),
      import('../../../lambdas/check-stability/handler'),
      import('../../../lambdas/probe-health/handler'),
      import('../../../lambdas/notify/handler'),
      import('../../../lambdas/release-lock/handler'),
    ]);
  vi.spyOn(probeHealth.deps, 'sleep').mockResolvedValue(undefined);

  const handlers: Record<TaskFunctionId, TaskHandler> = {
    Prepare: prepare.handler as TaskHandler,
    ResolveTarget: resolveTarget.handler as TaskHandler,
    RegisterTaskDefinition: register.handler as TaskHandler,
    UpdateService: updateService.handler as TaskHandler,
    CheckStability: checkStability.handler as TaskHandler,
    ProbeHealth: probeHealth.handler as TaskHandler,
    Notify: notify.handler as TaskHandler,
    ReleaseLock: releaseLock.handler as TaskHandler,
  };

  return {
    handlers,
    dynamo,
    async clearStateTable() {
      const { Items = [] } = await dynamo.client.send(new ScanCommand({ TableName: dynamo.tableName }));
      for (const { id } of Items) {
        if (id !== undefined && id.S !== SERVICES_CONFIG_ITEM_ID) await dynamo.client.send(new DeleteItemCommand({ TableName: dynamo.tableName, Key: { id } }));
      }
    },
    async close() {
      vi.unstubAllEnvs();
      await dynamo.close();
    },
  };
}

/** Runs one execution of the real ASL against the world (no real waits; a loop guard of 200 states). */
export function runRollback(engine: Engine, world: RiderappWorld, options: RunOptions): Promise<LocalRunResult> {
  return runLocally({
    input: options.input,
    handlers: { ...engine.handlers, ...options.handlers },
    executionName: options.executionName,
    ...(options.taskTimeoutSeconds === undefined ? {} : { taskTimeoutSeconds: options.taskTimeoutSeconds }),
    beforeTask: world.beforeTask,
    maxTransitions: 200,
    ...(options.settings === undefined ? {} : { settings: options.settings }),
  });
}
