import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { AppConfig } from './config';
import { RollbackStack, stackName } from './rollback-stack';

/** Adds the project's stack to `app` and runs the cdk-nag AwsSolutions checks at every synth. */
export function addRollbackStack(app: App, config: AppConfig): RollbackStack {
  const stack = new RollbackStack(app, stackName(config.project), {
    config,
    ...((config.account !== undefined || config.region !== undefined) && {
      env: { account: config.account, region: config.region },
    }),
    description: `ecs-auto-rollback for ${config.project}: automatic rollback of ECS services`,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}
