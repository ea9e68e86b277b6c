/** Prepare's dependencies wired as its handler wires them, for tests that mock ECS. */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { createTriggerClaims } from '../../lambdas/aws/idempotency';
import { describeServiceFacts } from '../../lambdas/aws/service-facts';
import { createStateTable } from '../../lambdas/aws/state-table';
import type { PrepareConfig } from '../../lambdas/prepare/config';
import type { PrepareDeps } from '../../lambdas/prepare/prepare';

/** PrepareDeps over `client` (mocked or dynalite) and config.stateTableName, ECS in us-east-1, the clock at `now` when given. */
export function prepareDepsFor(config: PrepareConfig, client: DynamoDBClient, now?: Date): PrepareDeps {
  const tableName = config.stateTableName;
  const clock = now === undefined ? undefined : () => now;
  const claims = createTriggerClaims({ tableName, client, ...(clock === undefined ? {} : { now: clock }) });
  return {
    config,
    stateTable: createStateTable({ tableName, client, ...(clock === undefined ? {} : { now: clock }) }),
    claimTrigger: (triggerId, executionId) => claims.claimTrigger(triggerId, executionId),
    releaseClaim: (triggerId, executionId) => claims.releaseClaim(triggerId, executionId),
    describeService: (cluster, service) => describeServiceFacts(cluster, service, new ECSClient({ region: 'us-east-1' })),
    defaultRegion: 'us-east-1',
    ...(clock === undefined ? {} : { now: clock }),
  };
}
