import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

/** Partition key of the state table (also Powertools idempotency's default key attribute). */
export const STATE_TABLE_KEY = 'id';
/** TTL attribute of the state table (also Powertools idempotency's default expiry attribute). */
export const STATE_TABLE_TTL_ATTRIBUTE = 'expiration';

/**
 * The one DynamoDB table behind the guards: the per-service lock, cool-downs, the deployment ids
 * this system started, and the trigger claims. On demand, TTL, point-in-time recovery.
 */
/** Props of {@link StateTable}. */
export interface StateTableProps {
  /** @default RemovalPolicy.DESTROY */
  readonly removalPolicy?: RemovalPolicy;
}

export class StateTable extends Construct {
  /** The table. */
  public readonly table: dynamodb.Table;

  public constructor(scope: Construct, id: string, props: StateTableProps = {}) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: STATE_TABLE_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: STATE_TABLE_TTL_ATTRIBUTE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });
  }
}
