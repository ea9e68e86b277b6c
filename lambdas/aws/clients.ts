/**
 * SDK v3 clients, created once per container on first use. They honour AWS_ENDPOINT_URL and
 * AWS_ENDPOINT_URL_<SERVICE>, so the same code reaches the local stand-in. Every client has
 * connection and request timeouts; a `…WriteClient` never lets the SDK repeat a call
 * (lambdas/aws/client-options.ts says why and how long).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { sdkClientOptions } from './client-options';

function lazy<T>(create: () => T): () => T {
  let instance: T | undefined;
  return () => {
    instance ??= create();
    return instance;
  };
}

/** ECS reads (and calls that are safe to repeat); the SDK retries transient errors. */
export const ecsClient = /* @__PURE__ */ lazy(() => new ECSClient(sdkClientOptions('read')));
/** ECS writes that must not be repeated blindly (UpdateService, RegisterTaskDefinition): one attempt. */
export const ecsWriteClient = /* @__PURE__ */ lazy(() => new ECSClient(sdkClientOptions('write')));
export const ecrClient = /* @__PURE__ */ lazy(() => new ECRClient(sdkClientOptions('read')));
export const elbv2Client = /* @__PURE__ */ lazy(() => new ElasticLoadBalancingV2Client(sdkClientOptions('read')));
/** SNS Publish has no idempotency token: one attempt, the Task's retry decides what happens next. */
export const snsClient = /* @__PURE__ */ lazy(() => new SNSClient(sdkClientOptions('write')));
/** DynamoDB: reads and conditional writes keyed on the execution (safe to repeat). */
export const dynamoClient = /* @__PURE__ */ lazy(() => new DynamoDBClient(sdkClientOptions('read')));
/** DynamoDB writes that must not be repeated blindly: one attempt. */
export const dynamoWriteClient = /* @__PURE__ */ lazy(() => new DynamoDBClient(sdkClientOptions('write')));
/** Step Functions reads (DescribeExecution of a lock's holder). */
export const sfnClient = /* @__PURE__ */ lazy(() => new SFNClient(sdkClientOptions('read')));
