/**
 * Reason codes: every decision (target, guard, stability, health) carries one of these, so
 * notifications, logs, metrics and tests speak the same words. Values are stable strings.
 */
export const REASONS = {
  // Target resolution (DESIGN.md "Target")
  EXPLICIT_TASK_DEFINITION: 'ExplicitTaskDefinition',
  EXPLICIT_IMAGE: 'ExplicitImage',
  PREVIOUS_SUCCESSFUL_DEPLOYMENT: 'PreviousSuccessfulDeployment',
  ACTIVE_DEPLOYMENT_IN_FLIGHT: 'ActiveDeploymentInFlight',
  PREVIOUS_ECR_IMAGE: 'PreviousEcrImage',
  NO_PREVIOUS_VERSION: 'NoPreviousVersion',
  ALREADY_ON_TARGET: 'AlreadyOnTarget',
  // Guards (DESIGN.md "Guards")
  ROLLBACK_IN_PROGRESS: 'RollbackInProgress',
  DUPLICATE_TRIGGER: 'DuplicateTrigger',
  OWN_DEPLOYMENT_FAILED: 'OwnDeploymentFailed',
  COOLDOWN_ACTIVE: 'CooldownActive',
  ALARM_OUTSIDE_WINDOW: 'AlarmOutsideWindow',
  ECS_ROLLBACK_IN_PROGRESS: 'EcsRollbackInProgress',
  ADVISORY_ONLY: 'AdvisoryOnly',
  DEPLOYMENT_SUPERSEDED: 'DeploymentSuperseded',
  // Stability of the rollback deployment
  DEPLOYMENT_IN_PROGRESS: 'DeploymentInProgress',
  DEPLOYMENT_COMPLETED: 'DeploymentCompleted',
  TARGETS_HEALTHY: 'TargetsHealthy',
  DEPLOYMENT_FAILED: 'DeploymentFailed',
  DEPLOYMENT_REPLACED: 'DeploymentReplaced',
  SERVICE_NOT_ACTIVE: 'ServiceNotActive',
  STABILIZATION_TIMEOUT: 'StabilizationTimeout',
  LOOK_THROTTLED: 'LookThrottled',
} as const;

export type Reason = (typeof REASONS)[keyof typeof REASONS];
