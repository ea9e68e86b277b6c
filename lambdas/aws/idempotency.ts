/**
 * Trigger claims: Powertools idempotency on the state table, wrapped around the one side effect
 * that must happen once per trigger (claiming it for an execution), not around the handler.
 * The first execution's claim is stored; later calls with the same trigger id get that stored
 * claim back, so a duplicate learns who handles the trigger and a retry of the same execution
 * gets its own id back.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyPersistenceLayerError,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';
import type { TriggerClaim } from '../core/guards';
import { awsCall } from './call';
import { dynamoClient } from './clients';

/** How long a claim is kept: longer than EventBridge keeps retrying a delivery (24 h). */
export const TRIGGER_CLAIM_TTL_SECONDS = 48 * 3600;

/** Prefix of the claims' keys in the state table (`trigger#<hash of the trigger id>`). */
export const TRIGGER_CLAIM_KEY_PREFIX = 'trigger';

/** Where the claims live. */
export interface TriggerClaimsOptions {
  readonly tableName: string;
  /** Default: the lazy client from clients.ts. */
  readonly client?: DynamoDBClient;
  readonly expiresAfterSeconds?: number;
}

/** Claims triggers for executions. */
export interface TriggerClaims {
  /** Claims triggerId for executionId: {claimedBy} is the first claimer, or {concurrent} while another claim is being written. */
  claimTrigger(triggerId: string, executionId: string, context?: Context): Promise<TriggerClaim>;
  /** Deletes the claim of triggerId (its holder failed before handling it), so a later start of the same trigger is not a duplicate. */
  releaseClaim(triggerId: string, executionId: string): Promise<void>;
}

interface ClaimInput {
  readonly triggerId: string;
  readonly executionId: string;
}

/** Trigger claims on the state table. */
export function createTriggerClaims(options: TriggerClaimsOptions): TriggerClaims {
  const config = new IdempotencyConfig({
    eventKeyJmesPath: 'triggerId',
    throwOnNoIdempotencyKey: true,
    expiresAfterSeconds: options.expiresAfterSeconds ?? TRIGGER_CLAIM_TTL_SECONDS,
  });
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName: options.tableName,
    awsSdkV3Client: options.client ?? dynamoClient(),
  });
  const claim = makeIdempotent(async (input: ClaimInput): Promise<{ claimedBy: string }> => ({ claimedBy: input.executionId }), {
    persistenceStore,
    config,
    keyPrefix: TRIGGER_CLAIM_KEY_PREFIX,
  });

  return {
    async claimTrigger(triggerId, executionId, context) {
      if (context !== undefined) config.registerLambdaContext(context);
      try {
        const stored = await awsCall('Idempotency.claimTrigger', async () => {
          try {
            return await claim({ triggerId, executionId });
          } catch (error) {
            if (error instanceof IdempotencyPersistenceLayerError && error.cause !== undefined) throw error.cause;
            throw error;
          }
        });
        return { claimedBy: stored.claimedBy, concurrent: false };
      } catch (error) {
        if (isAlreadyInProgress(error)) return { concurrent: true };
        throw error;
      }
    },

    async releaseClaim(triggerId, executionId) {
      persistenceStore.configure({ config, keyPrefix: TRIGGER_CLAIM_KEY_PREFIX });
      await awsCall('Idempotency.releaseClaim', () => persistenceStore.deleteRecord({ triggerId, executionId }));
    },
  };
}

function isAlreadyInProgress(error: unknown): boolean {
  return (
    error instanceof IdempotencyAlreadyInProgressError ||
    (error instanceof Error && error.cause instanceof IdempotencyAlreadyInProgressError)
  );
}
