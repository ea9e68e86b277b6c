import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { SERVICES_CONFIG_ATTRIBUTE, SERVICES_CONFIG_ITEM_ID } from '../../lambdas/shared/config';
import type { ServiceConfig } from '../../lambdas/shared/types';

/** Props of {@link ServicesConfigStore}. */
export interface ServicesConfigStoreProps {
  /** The state table the item is written to (the functions read it from there). */
  readonly table: dynamodb.ITable;
  /** The watched services; values may be CloudFormation tokens (resolved at deploy time). */
  readonly services: readonly ServiceConfig[];
  readonly logRetention: logs.RetentionDays;
}

/**
 * The services configuration, out of the Lambda environment: one state-table item
 * (`id` = {@link SERVICES_CONFIG_ITEM_ID}, the JSON array under {@link SERVICES_CONFIG_ATTRIBUTE}),
 * written at deploy time by a DynamoDB PutItem custom resource on every create and update, so
 * tokens resolve and 200 services (~60 KB) fit (a DynamoDB item holds 400 KB). Prepare reads it
 * once per container; a CLI can read it with GetItem.
 */
export class ServicesConfigStore extends Construct {
  /** The custom resource that writes the item; depend on it to run after the item exists. */
  public readonly resource: cr.AwsCustomResource;
  /** The item exactly as PutItem writes it (tokens included), for measuring its size. */
  public readonly item: Readonly<Record<string, { readonly S: string }>>;

  public constructor(scope: Construct, id: string, props: ServicesConfigStoreProps) {
    super(scope, id);
    this.item = {
      id: { S: SERVICES_CONFIG_ITEM_ID },
      [SERVICES_CONFIG_ATTRIBUTE]: { S: Stack.of(this).toJsonString(props.services) },
    };
    const put: cr.AwsSdkCall = {
      service: 'DynamoDB',
      action: 'putItem',
      parameters: { TableName: props.table.tableName, Item: this.item },
      physicalResourceId: cr.PhysicalResourceId.of(SERVICES_CONFIG_ITEM_ID),
      logging: cr.Logging.withDataHidden(),
    };
    const logGroup = new logs.LogGroup(this, 'WriterLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    const role = new iam.Role(this, 'WriterRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'ecs-auto-rollback: writes the services configuration item at deploy time',
    });
    logGroup.grantWrite(role);
    this.resource = new cr.AwsCustomResource(this, 'Writer', {
      resourceType: 'Custom::EcsRollbackServicesConfig',
      onUpdate: put,
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({ actions: ['dynamodb:PutItem'], resources: [props.table.tableArn] }),
      ]),
      installLatestAwsSdk: false,
      role,
      logGroup,
    });
    acknowledgeProviderFindings(this);
  }
}

/** The AwsCustomResource provider is one Lambda function per stack that CDK ships prebuilt: its runtime is CDK's choice. */
function acknowledgeProviderFindings(scope: Construct): void {
  const stack = Stack.of(scope);
  const provider = stack.node.tryFindChild(`AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`);
  if (provider === undefined) throw new Error('ServicesConfigStore: the AwsCustomResource provider function was not found');
  Validations.of(provider).acknowledge(
    {
      id: 'AwsSolutions-L1',
      reason:
        "The AwsCustomResource provider function is prebuilt and versioned with aws-cdk-lib, which picks its Node.js runtime; it runs only during deployments, with the SDK bundled (installLatestAwsSdk false, no download at run time).",
    },
  );
}
