/**
 * ECS-native rollback of a deployment that is still in flight (DESIGN.md "Rolling back a
 * deployment that is still in flight"): StopServiceDeployment with stopType ROLLBACK "rolls back
 * the service deployment to the previous service revision"
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopServiceDeployment.html).
 * Pure: which way to roll back, from what the service deployments API reports.
 */
import type { TargetSource } from '../shared/types';
import { sameTaskDefinition } from './stability';

/** How the rollback is made. */
export type RollbackMethod = 'update-service' | 'stop-service-deployment';

/**
 * Service deployment statuses StopServiceDeployment accepts. PENDING and IN_PROGRESS move to
 * ROLLBACK_REQUESTED; STOP_REQUESTED, ROLLBACK_REQUESTED and ROLLBACK_IN_PROGRESS continue
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stop-service-deployment.html).
 */
export const STOPPABLE_STATUSES = ['PENDING', 'IN_PROGRESS'] as const;
/** Statuses of a rollback ECS is already making (a retry of our own StopServiceDeployment finds these). */
export const ROLLING_BACK_STATUSES = ['ROLLBACK_REQUESTED', 'ROLLBACK_IN_PROGRESS'] as const;
/** How an ECS-native rollback ends (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-deployment.html). */
export const NATIVE_ROLLBACK_END_STATUSES = ['ROLLBACK_SUCCESSFUL', 'ROLLBACK_FAILED'] as const;

/** The service's ongoing service deployment, with the task definitions of its revisions. */
export interface InFlightServiceDeployment {
  readonly serviceDeploymentArn: string;
  readonly status: string;
  /** The revision being deployed (the bad one). */
  readonly targetTaskDefinition?: string;
  /** The revisions it replaces: what a ROLLBACK returns to. */
  readonly sourceTaskDefinitions: readonly string[];
}

/** What decides the method. */
export interface MethodInput {
  /** True when a person named the target (a manual start with `target`). */
  readonly explicitTarget: boolean;
  readonly targetSource: TargetSource;
  /** The task definition the rollback must leave the service on. */
  readonly targetTaskDefinitionArn: string;
  /** The service's ongoing service deployment, if any. */
  readonly inFlight?: InFlightServiceDeployment;
}

/** The chosen method and why. */
export interface MethodDecision {
  readonly method: RollbackMethod;
  readonly message: string;
}

const stoppable = (status: string): boolean =>
  (STOPPABLE_STATUSES as readonly string[]).includes(status) || (ROLLING_BACK_STATUSES as readonly string[]).includes(status);

/**
 * StopServiceDeployment (ROLLBACK) when a deployment is still PENDING / IN_PROGRESS (or our
 * earlier attempt already asked ECS to roll it back), the target was not named by a person, and
 * the target is the revision that deployment replaces; UpdateService otherwise.
 */
export function chooseRollbackMethod(input: MethodInput): MethodDecision {
  const { inFlight } = input;
  if (input.explicitTarget) return { method: 'update-service', message: 'An explicit target is deployed with UpdateService.' };
  if (inFlight === undefined || !stoppable(inFlight.status)) {
    return { method: 'update-service', message: 'No deployment is in flight: UpdateService to the resolved target.' };
  }
  const previous = inFlight.sourceTaskDefinitions.some((td) => sameTaskDefinition(td, input.targetTaskDefinitionArn));
  if (!previous) {
    return {
      method: 'update-service',
      message: `Deployment ${inFlight.serviceDeploymentArn} is ${inFlight.status}, but the target is not the revision it replaces: UpdateService.`,
    };
  }
  return {
    method: 'stop-service-deployment',
    message: `Deployment ${inFlight.serviceDeploymentArn} is still ${inFlight.status}: ECS rolls it back to the revision it replaces (StopServiceDeployment, ROLLBACK).`,
  };
}
