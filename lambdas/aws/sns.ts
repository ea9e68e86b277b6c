/** SNS adapter: publish one notification with String message attributes. */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { AwsCallError } from '../shared/errors';
import { awsCall } from './call';
import { snsClient } from './clients';

/** What to publish. */
export interface SnsMessage {
  readonly topicArn: string;
  readonly subject: string;
  readonly body: string;
  /** String attributes for subscription filter policies; values must not be empty. */
  readonly attributes: Readonly<Record<string, string>>;
}

/** Publish to a topic; returns SNS's MessageId. */
export async function publishMessage(message: SnsMessage, client: SNSClient = snsClient()): Promise<string> {
  const attributes = Object.fromEntries(
    Object.entries(message.attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }]),
  );
  const out = await awsCall('sns:Publish', () =>
    client.send(
      new PublishCommand({
        TopicArn: message.topicArn,
        Subject: message.subject,
        Message: message.body,
        MessageAttributes: attributes,
      }),
    ),
  );
  if (out.MessageId === undefined) throw new AwsCallError('sns:Publish', 'the response has no MessageId');
  return out.MessageId;
}
