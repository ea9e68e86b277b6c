/**
 * Answers lost after the service processed a call: a client middleware that lets a matching
 * command reach the endpoint (it takes effect there), then throws a connection error instead of
 * returning the answer, as a dropped connection does.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { LocalDynamo } from './dynalite';

/** Which command answers to lose, how many times. */
export interface LostAnswerRule {
  /** Command name, e.g. 'PutItemCommand'. */
  readonly command: string;
  /** Only calls whose input matches (default: every call of the command). */
  readonly when?: (input: Record<string, unknown>) => boolean;
  /** How many answers to lose (default 1). */
  readonly times?: number;
}

/** A client with a handle on the answers it lost. */
export interface LossyClient<C> {
  readonly client: C;
  /** How many answers were lost so far. */
  lost(): number;
  /** Takes the middleware off the client again. */
  remove(): void;
}

/** The error a Node socket reports when the connection drops before the answer arrives. */
export const connectionReset = (): Error => Object.assign(new Error('socket hang up'), { name: 'Error', code: 'ECONNRESET' });

/** Adds the answer-losing middleware to `client` (any SDK v3 client). */
export function loseAnswers<C extends { middlewareStack: DynamoDBClient['middlewareStack'] }>(client: C, rules: readonly LostAnswerRule[]): LossyClient<C> {
  const left = rules.map((rule) => rule.times ?? 1);
  let lost = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const index = rules.findIndex(
        (rule, i) =>
          (left[i] ?? 0) > 0 &&
          rule.command === context.commandName &&
          (rule.when === undefined || rule.when(args.input as Record<string, unknown>)),
      );
      if (index >= 0) {
        left[index] = (left[index] ?? 1) - 1;
        lost += 1;
        throw connectionReset();
      }
      return result;
    },
    { step: 'initialize', name: 'loseAnswers' },
  );
  return { client, lost: () => lost, remove: () => void client.middlewareStack.remove('loseAnswers') };
}

/** A fresh client on `dynamo`'s endpoint (no SDK retries) that loses the answers `rules` name. */
export function lossyDynamo(dynamo: Pick<LocalDynamo, 'endpoint'>, rules: readonly LostAnswerRule[]): LossyClient<DynamoDBClient> {
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  return loseAnswers(client, rules);
}
