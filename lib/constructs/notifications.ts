import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

/** Props of {@link Notifications}. */
export interface NotificationsProps {
  /** Used in the topic's display name. */
  readonly project: string;
  /** Subscribed by email to the new topic. @default [] */
  readonly emails?: readonly string[];
  /** Publish to this existing topic instead of creating one. @default - a new topic */
  readonly topic?: sns.ITopic;
  /** The existing topic's customer managed KMS key. @default - none */
  readonly topicKey?: kms.IKey;
  /** What happens to the new topic's key when it leaves the stack. @default RemovalPolicy.RETAIN */
  readonly keyRemovalPolicy?: RemovalPolicy;
}

/**
 * Where outcomes are published: a new SNS topic encrypted with a customer managed key (rotation on)
 * whose policy denies non-TLS requests, with email subscriptions; or an existing topic.
 */
export class Notifications extends Construct {
  /** The topic Notify publishes to. */
  public readonly topic: sns.ITopic;
  /** The key the topic is encrypted with, when known. */
  public readonly key?: kms.IKey;

  public constructor(scope: Construct, id: string, props: NotificationsProps) {
    super(scope, id);
    if (props.topic !== undefined) {
      this.topic = props.topic;
      if (props.topicKey !== undefined) this.key = props.topicKey;
      return;
    }
    const key = new kms.Key(this, 'Key', {
      description: `${props.project} ecs-auto-rollback notifications`,
      enableKeyRotation: true,
      pendingWindow: Duration.days(7),
      ...(props.keyRemovalPolicy !== undefined && { removalPolicy: props.keyRemovalPolicy }),
    });
    const topic = new sns.Topic(this, 'Topic', {
      displayName: `${props.project} ECS rollback`,
      masterKey: key,
      enforceSSL: true,
    });
    for (const email of props.emails ?? []) {
      topic.addSubscription(new subscriptions.EmailSubscription(email));
    }
    this.topic = topic;
    this.key = key;
  }

  /** Lets the grantee publish: sns:Publish on the topic, and the KMS data-key calls on its key. */
  public grantPublish(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [this.topic.topicArn] }),
    );
    if (this.key !== undefined) {
      grantee.grantPrincipal.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [this.key.keyArn] }),
      );
    }
  }
}
