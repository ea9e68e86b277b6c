import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { TASK_FUNCTIONS, type TaskFunctionId } from '../../statemachine/definition';

/** Repository root: lambdas/ and package-lock.json live here. */
const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/**
 * Where the installed package keeps its prebuilt functions (dist/lambdas/<dir>/index.mjs, next to the
 * bundled library, built by scripts/build-package.mjs). Absent in this repository, where each
 * function is bundled from lambdas/<dir>/handler.ts at synth.
 */
const PREBUILT_ROOT = join(dirname(fileURLToPath(import.meta.url)), 'lambdas');

/** The Lambda runtime of every task function. */
export const FUNCTION_RUNTIME = lambda.Runtime.NODEJS_24_X;

/**
 * esbuild settings shared by the task functions (local esbuild, no Docker). The SDK's default
 * credential chain is replaced by the environment provider Lambda needs (lambdas/aws/env-credentials.ts).
 */
export const BUNDLING: nodejs.BundlingOptions = {
  minify: true,
  sourceMap: true,
  mainFields: ['module', 'main'],
  target: 'node22',
  format: nodejs.OutputFormat.ESM,
  externalModules: [],
  banner: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  esbuildArgs: {
    '--alias': [`@aws-sdk/credential-provider-node=${join(PROJECT_ROOT, 'lambdas', 'aws', 'env-credentials.ts')}`],
  },
  forceDockerBundling: false,
};

/**
 * A function of this project: the prebuilt dist/lambdas/<dir>/index.mjs of the installed package
 * when present, else lambdas/<dir>/handler.ts bundled at synth with {@link BUNDLING}.
 */
export function bundledFunction(scope: Construct, id: string, dir: string, props: lambda.FunctionOptions & { readonly runtime: lambda.Runtime }): lambda.Function {
  const prebuilt = join(PREBUILT_ROOT, dir);
  return existsSync(join(prebuilt, 'index.mjs'))
    ? new lambda.Function(scope, id, { ...props, code: lambda.Code.fromAsset(prebuilt), handler: 'index.handler' })
    : new nodejs.NodejsFunction(scope, id, {
        ...props,
        entry: join(PROJECT_ROOT, 'lambdas', dir, 'handler.ts'),
        handler: 'handler',
        projectRoot: PROJECT_ROOT,
        depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
        bundling: BUNDLING,
      });
}

/** Per-function settings the stack decides. */
export interface TaskFunctionSettings {
  readonly timeout: Duration;
  readonly environment: Readonly<Record<string, string>>;
  /** @default 256 */
  readonly memorySize?: number;
}

/** Props of {@link TaskFunctions}. */
export interface TaskFunctionsProps {
  /** Environment every function gets. */
  readonly commonEnvironment: Readonly<Record<string, string>>;
  /** Timeout and environment of each function. */
  readonly settings: Readonly<Record<TaskFunctionId, TaskFunctionSettings>>;
  readonly logRetention: logs.RetentionDays;
  /** @default RemovalPolicy.DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The eight Lambda functions behind the ASL's Tasks, one per entry of TASK_FUNCTIONS: bundled from
 * lambdas/<dir>/handler.ts, arm64, X-Ray tracing, each with its own role (logs to its own log group
 * only; the stack adds what the function calls) and its own log group with retention.
 */
export class TaskFunctions extends Construct {
  /** The functions, by task id. */
  public readonly functions: Readonly<Record<TaskFunctionId, lambda.Function>>;
  /** Their roles, by task id. */
  public readonly roles: Readonly<Record<TaskFunctionId, iam.Role>>;

  public constructor(scope: Construct, id: string, props: TaskFunctionsProps) {
    super(scope, id);
    const functions = {} as Record<TaskFunctionId, lambda.Function>;
    const roles = {} as Record<TaskFunctionId, iam.Role>;
    for (const [taskId, task] of Object.entries(TASK_FUNCTIONS) as [TaskFunctionId, (typeof TASK_FUNCTIONS)[TaskFunctionId]][]) {
      const settings = props.settings[taskId];
      const logGroup = new logs.LogGroup(this, `${taskId}Logs`, {
        retention: props.logRetention,
        removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
      });
      const role = new iam.Role(this, `${taskId}Role`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `ecs-auto-rollback ${taskId} task`,
      });
      logGroup.grantWrite(role);
      const common = {
        runtime: FUNCTION_RUNTIME,
        architecture: lambda.Architecture.ARM_64,
        memorySize: settings.memorySize ?? 256,
        timeout: settings.timeout,
        tracing: lambda.Tracing.ACTIVE,
        role,
        logGroup,
        loggingFormat: lambda.LoggingFormat.JSON,
        environment: { ...props.commonEnvironment, ...settings.environment, NODE_OPTIONS: '--enable-source-maps' },
        description: `ecs-auto-rollback: ${taskId}`,
      };
      functions[taskId] = bundledFunction(this, taskId, task.dir, common);
      roles[taskId] = role;
    }
    this.functions = functions;
    this.roles = roles;
  }
}
