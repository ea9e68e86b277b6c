/**
 * SNS Publish (AWS Query, version 2010-03-31): validates the message like SNS does and records
 * it (subject, message, attributes) so tests and the demo can show what a person receives.
 */
import { randomUUID } from 'node:crypto';
import type { AwsModel } from './model';
import { ApiError, queryMap, unknownOperation } from './protocols';

/** XML namespace of SNS answers. */
export const SNS_XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';
/** API version SNS clients send. */
export const SNS_VERSION = '2010-03-31';

/** A message attribute as Publish takes it. */
export interface PublishedAttribute {
  readonly DataType: string;
  readonly StringValue?: string;
  readonly BinaryValue?: string;
}

/** One published message. */
export interface PublishedMessage {
  readonly messageId: string;
  readonly topicArn: string;
  readonly subject?: string;
  /** What an email subscriber receives: the `email` (else `default`) entry of a MessageStructure=json message, else the message. */
  readonly message: string;
  /** `json` when the Publish had MessageStructure=json; `deliveries` then holds its entries by protocol. */
  readonly messageStructure?: string;
  readonly deliveries?: Readonly<Record<string, string>>;
  readonly messageAttributes: Readonly<Record<string, PublishedAttribute>>;
  readonly messageGroupId?: string;
  readonly messageDeduplicationId?: string;
  /** Modelled time of publication, epoch ms. */
  readonly modelTime: number;
  /** Real time of publication, epoch ms. */
  readonly realTime: number;
}

/** What an operation handler receives besides its input. */
export interface SnsContext {
  readonly model: AwsModel;
  readonly notFound: boolean;
  readonly published: PublishedMessage[];
}

type Params = Map<string, string>;

const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;

function invalid(what: string): ApiError {
  return new ApiError('InvalidParameter', `Invalid parameter: ${what}`);
}

/**
 * MessageStructure=json: the message must be a JSON object of strings with a `default` entry
 * (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html).
 */
function parseStructuredMessage(structure: string, message: string): Record<string, string> {
  if (structure !== 'json') throw invalid('MessageStructure');
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    throw invalid('Message Structure - JSON message body failed to parse');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid('Message Structure - JSON message body failed to parse');
  const entries = Object.entries(parsed as Record<string, unknown>);
  if (!entries.some(([key, value]) => key === 'default' && typeof value === 'string')) {
    throw invalid('Message Structure - No default entry in JSON message body');
  }
  if (entries.some(([, value]) => typeof value !== 'string')) throw invalid('Message Structure - every entry must be a string');
  return Object.fromEntries(entries) as Record<string, string>;
}

function publish(params: Params, { model, notFound, published }: SnsContext): Record<string, unknown> {
  const topicArn = params.get('TopicArn') ?? params.get('TargetArn');
  if (topicArn === undefined) throw invalid('TopicArn or TargetArn Reason: no value for required parameter');
  if (!TOPIC_ARN.test(topicArn)) throw invalid('TopicArn');
  if (notFound) throw new ApiError('NotFound', 'Topic does not exist', 404);
  const message = params.get('Message');
  if (message === undefined || message === '') throw invalid('Empty message');
  if (Buffer.byteLength(message, 'utf8') > 262_144) throw invalid('Message too long');
  const messageStructure = params.get('MessageStructure');
  const deliveries = messageStructure === undefined ? undefined : parseStructuredMessage(messageStructure, message);
  const subject = params.get('Subject');
  if (subject !== undefined && (subject.length === 0 || subject.length > 100 || /[\r\n]/.test(subject) || !/^[\x20-\x7e]+$/.test(subject))) {
    throw invalid('Subject');
  }
  const attributes = queryMap(params, 'MessageAttributes', 'Name', 'Value');
  for (const [name, value] of Object.entries(attributes)) {
    if (value['DataType'] === undefined) throw invalid(`The message attribute '${name}' must contain non-empty message attribute type.`);
    if (value['StringValue'] === undefined && value['BinaryValue'] === undefined) {
      throw invalid(`The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${value['DataType']}'.`);
    }
  }
  const isFifo = topicArn.endsWith('.fifo');
  if (isFifo && params.get('MessageGroupId') === undefined) throw invalid('The MessageGroupId parameter is required for FIFO topics');
  const record: PublishedMessage = {
    messageId: randomUUID(),
    topicArn,
    subject,
    message: deliveries?.email ?? deliveries?.default ?? message,
    ...(messageStructure === undefined ? {} : { messageStructure, deliveries }),
    messageAttributes: attributes as unknown as Record<string, PublishedAttribute>,
    messageGroupId: params.get('MessageGroupId'),
    messageDeduplicationId: params.get('MessageDeduplicationId'),
    modelTime: model.now(),
    realTime: model.clock.realNow(),
  };
  published.push(record);
  return { MessageId: record.messageId, ...(isFifo ? { SequenceNumber: `10000000000000${String(published.length).padStart(6, '0')}` } : {}) };
}

/** The SNS operations the stand-in implements. */
export const SNS_OPERATIONS: readonly string[] = ['Publish'];

/** Runs one SNS action; throws ApiError (including for actions it does not implement). */
export function handleSns(action: string, params: Params, ctx: SnsContext): Record<string, unknown> {
  if (action === 'Publish') return publish(params, ctx);
  throw unknownOperation('SNS', action, 'query');
}
