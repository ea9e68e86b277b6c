/**
 * The package's entry point (`import { EcsAutoRollback } from 'ecs-auto-rollback'`): the construct,
 * its props, the project stack and the configuration reader it is built from.
 */
export {
  EcsAutoRollback,
  type EcsAutoRollbackProps,
  METRICS_NAMESPACE,
  SERVICE_NAME,
  stateMachineName,
  type WatchedService,
} from './ecs-auto-rollback';
export {
  type AppConfig,
  ConfigError,
  type ContextGetter,
  type GitHubActionsSettings,
  type LoadOptions,
  loadConfig,
  type ProbeSettings,
  type ServiceSettings,
  type Settings,
  type TreatMissingData,
  type UnhealthyHostAlarmSettings,
} from './config';
export type { GitHubActionsOptions } from './constructs/github-actions-role';
export { propsFromConfig, RollbackStack, type RollbackStackProps, stackName } from './rollback-stack';
