import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { definitionTextWithTimeout, substitutionsFor, type TaskFunctionId } from '../../statemachine/definition';

/** Props of {@link RollbackWorkflow}. */
export interface RollbackWorkflowProps {
  /** The state machine's name. */
  readonly stateMachineName: string;
  /** The functions behind the ASL's Tasks. */
  readonly functions: Readonly<Record<TaskFunctionId, lambda.IFunction>>;
  readonly pollIntervalSeconds: number;
  readonly stabilizationTimeoutSeconds: number;
  /** The execution's overall TimeoutSeconds (lib/execution-budget.ts). */
  readonly timeoutSeconds: number;
  readonly logRetention: logs.RetentionDays;
  /** @default RemovalPolicy.DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The state machine deployed from statemachine/rollback.asl.json with its `${...}` substitutions
 * and an overall TimeoutSeconds,
 * logging ALL events (with execution data) to its own log group, X-Ray tracing on.
 */
export class RollbackWorkflow extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly logGroup: logs.LogGroup;

  public constructor(scope: Construct, id: string, props: RollbackWorkflowProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/vendedlogs/states/${props.stateMachineName}`,
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    const arns = Object.fromEntries(
      Object.entries(props.functions).map(([taskId, fn]) => [taskId, fn.functionArn]),
    ) as Record<TaskFunctionId, string>;
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromFile(definitionFileWithTimeout(props.timeoutSeconds)),
      definitionSubstitutions: substitutionsFor(arns, {
        pollIntervalSeconds: props.pollIntervalSeconds,
        stabilizationTimeoutSeconds: props.stabilizationTimeoutSeconds,
      }),
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
    });
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: Object.values(props.functions).map((fn) => fn.functionArn),
      }),
    );
  }
}

/** statemachine/rollback.asl.json with the overall TimeoutSeconds, as a file for the definition asset. */
function definitionFileWithTimeout(timeoutSeconds: number): string {
  const path = join(mkdtempSync(join(tmpdir(), 'ecs-auto-rollback-asl-')), 'rollback.asl.json');
  writeFileSync(path, definitionTextWithTimeout(timeoutSeconds));
  return path;
}
