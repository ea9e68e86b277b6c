/**
 * SDK v3 clients, created once per container on first use. They honour AWS_ENDPOINT_URL and
 * AWS_ENDPOINT_URL_<SERVICE>, so the same code reaches the local stand-in.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SNSClient } from '@aws-sdk/client-sns';

function lazy<T>(create: () => T): () => T {
  let instance: T | undefined;
  return () => {
    instance ??= create();
    return instance;
  };
}

export const ecsClient = /* @__PURE__ */ lazy(() => new ECSClient({}));
export const ecrClient = /* @__PURE__ */ lazy(() => new ECRClient({}));
export const elbv2Client = /* @__PURE__ */ lazy(() => new ElasticLoadBalancingV2Client({}));
export const snsClient = /* @__PURE__ */ lazy(() => new SNSClient({}));
export const dynamoClient = /* @__PURE__ */ lazy(() => new DynamoDBClient({}));
