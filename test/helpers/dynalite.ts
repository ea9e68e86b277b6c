/** A real local DynamoDB (dynalite) on 127.0.0.1 with the state table, for integration tests. */
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';

/** A running dynalite with one table and a client for it. */
export interface LocalDynamo {
  readonly client: DynamoDBClient;
  readonly endpoint: string;
  /** The table created at start. */
  readonly tableName: string;
  /** Creates another empty state table (one per test keeps tests apart); returns its name. */
  createTable(name: string): Promise<string>;
  close(): Promise<void>;
}

async function createStateTable(client: DynamoDBClient, tableName: string): Promise<string> {
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

/** Starts dynalite on a free port and creates the state table (partition key `id`, string). */
export async function startDynalite(tableName = 'riderapp-rollback-state'): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  await createStateTable(client, tableName);
  return {
    client,
    endpoint,
    tableName,
    createTable: (name) => createStateTable(client, name),
    async close() {
      client.destroy();
      await new Promise<void>((resolve, reject) => server.close((error?: Error) => (error ? reject(error) : resolve())));
    },
  };
}
