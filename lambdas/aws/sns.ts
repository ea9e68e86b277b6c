/** SNS adapter: publish one notification with String message attributes, one text per protocol. */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { AwsCallError } from '../shared/errors';
import { awsCall } from './call';
import { snsClient } from './clients';

/** What to publish. */
export interface SnsMessage {
  readonly topicArn: string;
  readonly subject: string;
  /** The text for email and every protocol without its own entry. */
  readonly body: string;
  /**
   * The message for HTTPS subscribers (e.g. Amazon Q Developer in chat applications, which
   * subscribes to the topic over HTTPS). When set, one Publish carries both, with
   * `MessageStructure=json`: {"default": body, "https": https}. Email (and every protocol without
   * its own key) gets `default`, so the body is not repeated under `email`: it would double the
   * message against Publish's 256 KiB limit. https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
   */
  readonly https?: string;
  /**
   * Attributes for subscription filter policies: a string is a `String` attribute (not empty), a list
   * a `String.Array` (its JSON; a filter on the attribute matches when any element matches).
   * https://docs.aws.amazon.com/sns/latest/dg/sns-message-attributes.html
   */
  readonly attributes: Readonly<Record<string, string | readonly string[]>>;
}

/** The Publish `Message` and `MessageStructure` for a message. */
export function messagePayload(message: SnsMessage): { readonly Message: string; readonly MessageStructure?: 'json' } {
  if (message.https === undefined) return { Message: message.body };
  return {
    Message: JSON.stringify({ default: message.body, https: message.https }),
    MessageStructure: 'json',
  };
}

/** Publish to a topic; returns SNS's MessageId. */
export async function publishMessage(message: SnsMessage, client: SNSClient = snsClient()): Promise<string> {
  const attributes = Object.fromEntries(
    Object.entries(message.attributes).map(([name, value]) =>
      typeof value === 'string' ? [name, { DataType: 'String', StringValue: value }] : [name, { DataType: 'String.Array', StringValue: JSON.stringify(value) }],
    ),
  );
  const out = await awsCall('sns:Publish', () =>
    client.send(
      new PublishCommand({
        TopicArn: message.topicArn,
        Subject: message.subject,
        ...messagePayload(message),
        MessageAttributes: attributes,
      }),
    ),
  );
  if (out.MessageId === undefined) throw new AwsCallError('sns:Publish', 'the response has no MessageId');
  return out.MessageId;
}
