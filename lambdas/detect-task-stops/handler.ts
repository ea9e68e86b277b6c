import { ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { awsCall } from '../aws/call';
import { ecsClient, sfnClient } from '../aws/clients';
import { describeService } from '../aws/ecs-service';
import { createStateTable } from '../aws/state-table';
import { createTaskStopCounter } from '../aws/task-stop-counter';
import type { NewestDeployment } from '../core/task-stops';
import { once } from '../shared/config';
import { LOG_KEYS, logger, withLogging } from '../shared/logger';
import { readDetectorConfig } from './config';
import { type DetectorDeps, type DetectorResult, detect } from './detect';

/** The service's PRIMARY deployment (DescribeServices), or undefined. */
async function newestDeployment(cluster: string, service: string): Promise<NewestDeployment | undefined> {
  const lookup = await describeService(cluster, service, ecsClient());
  if (!lookup.found) return undefined;
  const primary = lookup.service.deployments?.find((d) => d.status === 'PRIMARY');
  if (primary?.id === undefined || primary.taskDefinition === undefined || primary.createdAt === undefined) return undefined;
  return {
    id: primary.id,
    taskDefinitionArn: primary.taskDefinition,
    createdAt: primary.createdAt.toISOString(),
    ...(primary.rolloutState !== undefined ? { rolloutState: primary.rolloutState } : {}),
  };
}

const setup = once((): DetectorDeps => {
  const config = readDetectorConfig(process.env);
  const stateTable = createStateTable({ tableName: config.stateTableName });
  const counter = createTaskStopCounter({ tableName: config.stateTableName });
  return {
    settings: config.settings,
    stateMachineArn: config.stateMachineArn,
    newestDeployment,
    findOwnDeployment: (id) => stateTable.findOwnDeployment(id),
    count: (...args) => counter.count(...args),
    markStarted: (...args) => counter.markStarted(...args),
    startExecution: async (name, input) => {
      const executionArn = `${config.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
      // The shared client: connection and request timeouts like every other call (a hung call fails
      // fast and is retried; the execution's name makes a repeated start return ExecutionAlreadyExists).
      try {
        const out = await awsCall('states:StartExecution', () =>
          sfnClient().send(new StartExecutionCommand({ stateMachineArn: config.stateMachineArn, name, input })),
        );
        return { executionArn: out.executionArn ?? executionArn, alreadyExists: false };
      } catch (error) {
        const cause = error instanceof Error ? (error.cause as { name?: string } | undefined) : undefined;
        if (cause instanceof ExecutionAlreadyExists || cause?.name === 'ExecutionAlreadyExists') {
          return { executionArn, alreadyExists: true };
        }
        throw error;
      }
    },
  };
});

/** Detector: one ECS Task State Change (desiredStatus STOPPED) → counted, ignored, or a rollback started. */
export const handler = withLogging(async (event: unknown): Promise<DetectorResult> => {
  const result = await detect(event, setup());
  if (result.cluster !== undefined && result.service !== undefined) {
    logger.appendKeys({ [LOG_KEYS.cluster]: result.cluster, [LOG_KEYS.service]: result.service });
  }
  logger.info('task stop', { ...result });
  return result;
});
