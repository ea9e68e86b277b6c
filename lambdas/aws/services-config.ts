/**
 * The services configuration item of the state table: written at deploy time (the CDK app's
 * ServicesConfigStore), read once per container by the functions that need it.
 */
import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SERVICES_CONFIG_ATTRIBUTE, SERVICES_CONFIG_ITEM_ID } from '../shared/config';
import { awsCall } from './call';
import { dynamoClient } from './clients';

/** The item's JSON text (a ServiceConfig array), or undefined when the table has no such item. */
export async function readServicesConfigItem(tableName: string, client: DynamoDBClient = dynamoClient()): Promise<string | undefined> {
  const result = await awsCall('DynamoDB.GetItem(services config)', () =>
    client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { id: { S: SERVICES_CONFIG_ITEM_ID } },
        ConsistentRead: true,
      }),
    ),
  );
  return result.Item?.[SERVICES_CONFIG_ATTRIBUTE]?.S;
}
