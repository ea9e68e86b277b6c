/**
 * The state that flows through statemachine/rollback.asl.json. Each Task receives the whole
 * state and its result is stored under one key (ResultPath), so later steps see every earlier
 * result. Times are ISO-8601 strings; durations are seconds.
 */

/** Settings the ASL injects (from ${...} substitutions) in its first state. */
export interface Settings {
  /** Longest wait between two stability checks. */
  readonly pollIntervalSeconds: number;
  /** Give up on the rollback deployment after this long. */
  readonly stabilizationTimeoutSeconds: number;
}

/** `$$.Execution` facts copied into the state by the first state. */
export interface ExecutionInfo {
  readonly id: string;
  readonly startTime: string;
}

/** One service this deployment watches, as the CDK configuration describes it. */
export interface ServiceConfig {
  readonly cluster: string;
  readonly service: string;
  /** ECR repository name whose images the service runs (the project's repository). */
  readonly ecrRepository: string;
  /** Containers whose image is rolled back; default: those whose image comes from ecrRepository. */
  readonly containerNames?: readonly string[];
  /** Target group to probe; default: the service's own load balancer target groups. */
  readonly targetGroupArn?: string;
  /**
   * An HTTP(S) URL that answers 2xx when the service is healthy. In the execution's state (what the
   * Step Functions console shows) it is redacted: no credentials, query string or fragment
   * (lambdas/core/url-safety.ts redactUrl); ProbeHealth reads the full URL from the services configuration.
   */
  readonly healthCheckUrl?: string;
  /** CloudWatch alarms that trigger a rollback of this service. */
  readonly alarmNames: readonly string[];
}

/** The seed workflow's rollback types. database/infrastructure are advisory (never automatic). */
export type RollbackType = 'application' | 'infrastructure' | 'database' | 'full';

export type TriggerKind = 'deployment-failed' | 'alarm' | 'task-stops' | 'manual';

/** Why a counted task stop says the version is bad (lambdas/core/task-stops.ts). */
export type BadVersionCause = 'elb-health-check' | 'container-health-check' | 'essential-container-exited' | 'failed-to-start';

/** One task of the newest deployment that stopped because the version looks bad. */
export interface TaskStopRecord {
  readonly taskId: string;
  readonly stopCode: string;
  readonly stoppedReason: string;
  /** The first non-zero exit code of an essential container, when one exited. */
  readonly exitCode?: number;
  readonly cause: BadVersionCause;
  readonly stoppedAt: string;
}

/** The evidence of a `task-stops` trigger: the detector counted `threshold` bad-version stops of one deployment. */
export interface TaskStopsEvidence {
  readonly deploymentId: string;
  readonly taskDefinitionArn: string;
  readonly deploymentStartedAt: string;
  /** The deployment's rollout state when the threshold was reached (IN_PROGRESS while in flight). */
  readonly rolloutState?: string;
  readonly threshold: number;
  readonly windowMinutes: number;
  /** The detector runs in notify-only mode: the execution is a dry run that reports what it would do. */
  readonly notifyOnly: boolean;
  readonly stops: readonly TaskStopRecord[];
}

/** What started this execution, normalised. */
export interface Trigger {
  readonly kind: TriggerKind;
  /** Identity of the trigger, the idempotency key: event id / deploymentId / alarm + timestamp. */
  readonly id: string;
  /** When the trigger happened (event time, alarm state time, or execution start). */
  readonly time: string;
  /** One line a person reads: "ECS deployment ecs-svc/123 failed: ...". */
  readonly summary: string;
  /** ECS deployment id from a deployment-state event, or the deployment whose tasks stopped (`task-stops`). */
  readonly deploymentId?: string;
  /** ECS's reason text from a deployment-state event. */
  readonly reason?: string;
  readonly alarmName?: string;
  /** Who asked, for manual starts (free text). */
  readonly requestedBy?: string;
  /** For `task-stops`: the detector's evidence (task ids, stop codes, reasons). */
  readonly taskStops?: TaskStopsEvidence;
}

/** An explicit target of a manual start; exactly one field is set. */
export interface ExplicitTarget {
  /** `family:revision` or a task definition ARN. */
  readonly taskDefinition?: string;
  readonly imageTag?: string;
  /** `sha256:...` */
  readonly imageDigest?: string;
  /** A commit SHA used as an image tag. */
  readonly commit?: string;
}

/** What Prepare decided to do. */
export type RequestAction = 'rollback' | 'skip' | 'watch';

/** The normalised request: Prepare's result, at `$.request`. */
export interface RollbackRequest {
  readonly trigger: Trigger;
  readonly region: string;
  readonly account?: string;
  readonly cluster: string;
  readonly service: string;
  readonly serviceConfig: ServiceConfig;
  readonly target?: ExplicitTarget;
  readonly dryRun: boolean;
  /** A dry run started by `ecs-rollback selftest`: Notify neither publishes nor counts it in the metrics. */
  readonly selftest?: boolean;
  /** Free-text reason given by a person (manual starts). */
  readonly reason?: string;
  /** Manual starts: the seed's rollback type (default application). */
  readonly rollbackType: RollbackType;
  readonly action: RequestAction;
  /** Why the action is skip or watch: a constant from lambdas/core/reasons.ts ... */
  readonly actionReason?: string;
  /** ... and the sentence a person reads. */
  readonly actionMessage?: string;
  /** For action `watch`: ECS's own rollback deployment, followed instead of starting ours. */
  readonly watch?: DeploymentRef;
  /** True when this execution holds the per-service lock (ReleaseLock then frees it). */
  readonly lockHeld: boolean;
  readonly preparedAt: string;
}

export interface ContainerImage {
  readonly containerName: string;
  readonly image: string;
}

export interface TaskDefinitionRef {
  readonly arn: string;
  readonly family: string;
  readonly revision: number;
  readonly images: readonly ContainerImage[];
}

/** Where the target came from, in DESIGN.md's order. */
export type TargetSource =
  | 'explicit-task-definition'
  | 'explicit-image'
  | 'deployment-history'
  | 'active-deployment'
  | 'ecr'
  | 'none';

export interface ImageRef {
  /** `<registry>/<repository>` without tag or digest. */
  readonly repositoryUri: string;
  readonly tag?: string;
  readonly digest?: string;
  readonly pushedAt?: string;
}

/** ResolveTarget's result, at `$.target`. */
export interface TargetResolution {
  readonly outcome: 'rollback' | 'skip';
  readonly source: TargetSource;
  /** A constant from lambdas/core/reasons.ts. */
  readonly reason: string;
  /** One sentence a person reads. */
  readonly message: string;
  readonly current: TaskDefinitionRef;
  /** A known-good task definition to deploy as it is. */
  readonly taskDefinitionArn?: string;
  /** An image to put into a copy of the current task definition. */
  readonly image?: ImageRef;
  readonly resolvedAt: string;
}

/** RegisterTaskDefinition's result, at `$.registration`. */
export interface Registration {
  readonly taskDefinitionArn: string;
  readonly family: string;
  readonly revision: number;
  /** False when an ACTIVE known-good revision is reused as it is. */
  readonly registered: boolean;
  readonly images: readonly ContainerImage[];
  readonly registeredAt: string;
}

/** A deployment being followed: UpdateService's result at `$.deployment`. */
export interface DeploymentRef {
  readonly deploymentId: string;
  readonly taskDefinitionArn: string;
  readonly startedAt: string;
  /** How the rollback was made: UpdateService (default) or ECS's own rollback of the in-flight deployment. */
  readonly method?: 'update-service' | 'stop-service-deployment';
  /** For `stop-service-deployment`: the service deployment ECS rolls back (ROLLBACK_SUCCESSFUL / ROLLBACK_FAILED). */
  readonly serviceDeploymentArn?: string;
}

export type StabilityStatus = 'IN_PROGRESS' | 'COMPLETED' | 'RECOVERED' | 'FAILED' | 'TIMED_OUT';

/** CheckStability's result, at `$.stability`. */
export interface StabilityResult {
  readonly status: StabilityStatus;
  /** A constant from lambdas/core/reasons.ts. */
  readonly reason: string;
  readonly message: string;
  readonly elapsedSeconds: number;
  /** How long the Wait state waits before the next check (SecondsPath). */
  readonly waitSeconds: number;
  readonly desiredCount: number;
  readonly runningCount: number;
  readonly healthyTargets?: number;
  readonly checks: number;
  readonly checkedAt: string;
}

export interface HealthCheck {
  /** `ecs-deployment`: nothing to probe was configured; the ECS deployment state was relied on. */
  readonly kind: 'target-group' | 'http' | 'ecs-deployment';
  readonly ok: boolean;
  /** What was checked (target group ARN, URL, or the deployment). */
  readonly subject: string;
  /** What was seen, e.g. "3/3 targets healthy" or "HTTP 503 after 3 attempts". */
  readonly detail: string;
}

/** ProbeHealth's result, at `$.health`. */
export interface HealthResult {
  readonly healthy: boolean;
  readonly checks: readonly HealthCheck[];
  readonly attempts: number;
  readonly message: string;
  readonly checkedAt: string;
}

/** Set by the ASL when a step fails: Catch → `$.error`, then a Pass copies it here. */
export interface FailureRecord {
  readonly step: string;
  readonly error: string;
  /** Step Functions' Cause: for a Lambda error, a JSON string {errorType, errorMessage, ...}. */
  readonly cause: string;
}

export type NotificationKind = 'success' | 'skipped' | 'dry-run' | 'failure';

/** Notify's result, at `$.notification`. */
export interface NotificationResult {
  readonly kind: NotificationKind;
  readonly subject: string;
  /** SNS's MessageId; absent when nothing was published (a self-test), or when the ending was folded into the window's digest (`deferred`). */
  readonly messageId?: string;
  readonly sentAt: string;
  /**
   * Not published on its own: the ending is in the digest of its window (lambdas/core/digest.ts),
   * which the execution sends (or finds sent by another) at `dueAt`, the window's end.
   */
  readonly deferred?: { readonly windowStart: string; readonly dueAt: string; readonly position: number };
  /** An earlier attempt's Publish got no answer, so this message was published again: people may get it twice. */
  readonly repeated?: boolean;
  /** An earlier attempt of this execution published it already; nothing was published now. */
  readonly publishedBefore?: boolean;
}

/** SendDigest's result, at `$.digest`. */
export interface DigestResult {
  /** True when this execution published the digest; false when another execution of the window did. */
  readonly sent: boolean;
  /** The execution that sent it (when not this one). */
  readonly sentBy?: string;
  /** Endings in the digest. */
  readonly endings?: number;
  readonly subjects?: readonly string[];
  readonly messageIds?: readonly string[];
}

/** The whole state, as each step sees it. Later keys are absent until their step ran. */
export interface RollbackState {
  /** The execution's input: a raw EventBridge event or a manual start. */
  readonly input: unknown;
  readonly settings: Settings;
  readonly execution: ExecutionInfo;
  readonly request?: RollbackRequest;
  readonly target?: TargetResolution;
  readonly registration?: Registration;
  readonly deployment?: DeploymentRef;
  readonly stability?: StabilityResult;
  readonly health?: HealthResult;
  readonly failure?: FailureRecord;
  readonly notification?: NotificationResult;
}

/** Notify's input: the kind chosen by the ASL and the whole state. */
export interface NotifyInput {
  readonly kind: NotificationKind;
  readonly state: RollbackState;
}

/** Manual start input (Step Functions console, CLI, GitHub workflow). */
export interface ManualStartInput {
  readonly cluster?: string;
  readonly service?: string;
  /** Alternative to cluster/service: the project's default service. */
  readonly project?: string;
  readonly target?: ExplicitTarget;
  readonly dryRun?: boolean;
  /** `ecs-rollback selftest`: a dry run that Notify neither publishes nor counts (only with dryRun). */
  readonly selftest?: boolean;
  /** Must be "CONFIRM" unless dryRun is true. */
  readonly confirm?: string;
  readonly reason?: string;
  readonly requestedBy?: string;
  /** The seed's rollback types; only `application` changes anything, the rest add advice. */
  readonly rollbackType?: RollbackType;
}
