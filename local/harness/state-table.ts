/** The state table on a local DynamoDB (dynalite on 127.0.0.1, port from the OS). */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { SERVICES_CONFIG_ATTRIBUTE, SERVICES_CONFIG_ITEM_ID } from '../../lambdas/shared/config';
import type { ServiceConfig } from '../../lambdas/shared/types';
import dynalite from 'dynalite';

/** A running dynalite holding the state table. */
export interface LocalStateTable {
  readonly endpoint: string;
  readonly tableName: string;
  readonly client: DynamoDBClient;
  close(): Promise<void>;
}

/** Creates an empty state table as the CDK app defines it (partition key `id`, string); returns its name. */
export async function createStateTableOn(client: DynamoDBClient, tableName: string): Promise<string> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  return tableName;
}

/** Writes the services configuration item as the deployment does (ServicesConfigStore's PutItem). */
export async function putServicesConfig(client: DynamoDBClient, tableName: string, services: readonly ServiceConfig[]): Promise<void> {
  await client.send(
    new PutItemCommand({
      TableName: tableName,
      Item: { id: { S: SERVICES_CONFIG_ITEM_ID }, [SERVICES_CONFIG_ATTRIBUTE]: { S: JSON.stringify(services) } },
    }),
  );
}

/** Starts dynalite and creates the state table as the CDK app defines it (partition key `id`, string). */
export async function startStateTable(tableName: string): Promise<LocalStateTable> {
  const server = dynalite({ createTableMs: 0 }) as unknown as Server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const close = async () => {
    client.destroy();
    const closed = new Promise<void>((resolve, reject) => server.close((error?: Error) => (error ? reject(error) : resolve())));
    server.closeAllConnections();
    await closed;
  };
  try {
    await createStateTableOn(client, tableName);
  } catch (error) {
    await close();
    throw error;
  }
  return { endpoint, tableName, client, close };
}
