/**
 * AWS's API request throttling for the stand-in's ECS: a token bucket per action category that
 * refills on the modelled clock. A call takes one token from its category's bucket (every action of
 * a category shares it, as the guide says); an empty bucket answers ThrottlingException, as ECS does.
 * Bucket sizes and refill rates: the ECS developer guide "Request throttling for the Amazon ECS API",
 * table "Request Token Bucket Sizes and Refill Rates"
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/request-throttling.html#throttling-quotas),
 * the same for every Region. An action the table does not list (StopServiceDeployment) gets a
 * labelled estimate, never a silent number.
 */

/** Where the limits come from. */
export const ECS_THROTTLING_SOURCE = 'https://docs.aws.amazon.com/AmazonECS/latest/developerguide/request-throttling.html#throttling-quotas';

/** One action category's bucket. */
export interface BucketLimit {
  /** The guide's category name ("Service read actions"). */
  readonly group: string;
  readonly actions: readonly string[];
  /** Bucket maximum capacity: the burst rate (tokens). */
  readonly capacity: number;
  /** Bucket refill rate: the sustained rate (tokens per second). */
  readonly refillPerSecond: number;
  /** Why the figure is an estimate; absent when the guide states it. */
  readonly estimate?: string;
}

/**
 * ECS's buckets, one per action category, from the guide's table (ECS_THROTTLING_SOURCE): every
 * action of a category draws from the category's one bucket.
 */
export const ECS_REQUEST_LIMITS: readonly BucketLimit[] = [
  {
    group: 'Cluster modify actions',
    actions: ['CreateCluster', 'DeleteCluster', 'PutClusterCapacityProviders', 'UpdateCluster', 'UpdateClusterSettings'],
    capacity: 20,
    refillPerSecond: 1,
  },
  { group: 'Cluster read actions', actions: ['DescribeClusters', 'ListClusters'], capacity: 50, refillPerSecond: 20 },
  { group: 'Task definition modify actions', actions: ['DeregisterTaskDefinition', 'RegisterTaskDefinition'], capacity: 20, refillPerSecond: 1 },
  {
    group: 'Task definition read actions',
    actions: ['DescribeTaskDefinition', 'ListTaskDefinitions', 'ListTaskDefinitionFamilies'],
    capacity: 50,
    refillPerSecond: 20,
  },
  { group: 'Task definition deletion actions', actions: ['DeleteTaskDefinitions'], capacity: 5, refillPerSecond: 1 },
  { group: 'Tag modify actions', actions: ['TagResource', 'UntagResource'], capacity: 20, refillPerSecond: 10 },
  { group: 'Tag read actions', actions: ['ListTagsForResource'], capacity: 50, refillPerSecond: 20 },
  {
    group: 'Cluster resource modify actions',
    actions: [
      'DeleteAttributes',
      'DeregisterContainerInstance',
      'ExecuteCommand',
      'PutAttributes',
      'RunTask',
      'StartTask',
      'StopTask',
      'UpdateContainerAgent',
      'UpdateContainerInstancesState',
    ],
    capacity: 100,
    refillPerSecond: 40,
  },
  {
    group: 'Cluster resource read actions',
    actions: ['DescribeContainerInstances', 'DescribeTasks', 'ListAttributes', 'ListContainerInstances', 'ListTasks'],
    capacity: 100,
    refillPerSecond: 20,
  },
  { group: 'Service modify actions', actions: ['CreateService', 'DeleteService', 'UpdateService'], capacity: 50, refillPerSecond: 5 },
  { group: 'Service read actions', actions: ['DescribeServices', 'ListServices'], capacity: 100, refillPerSecond: 20 },
  { group: 'Service deployment actions', actions: ['DescribeServiceDeployments', 'ListServiceDeployments'], capacity: 50, refillPerSecond: 20 },
  { group: 'Service revision actions', actions: ['DescribeServiceRevisions'], capacity: 50, refillPerSecond: 20 },
];

/** The bucket of an action the table does not list (StopServiceDeployment): one of its own, as small as the service modify actions'. */
export const UNLISTED_ACTION_LIMIT: BucketLimit = {
  group: 'unlisted',
  actions: [],
  capacity: 50,
  refillPerSecond: 5,
  estimate: 'estimate: the guide does not list this action; a bucket of its own the size of the Service modify actions (50, 5/s)',
};

/** Token buckets per action category, refilled on a clock in epoch ms. */
export class RequestThrottle {
  /** Tokens per bucket, keyed by category (an unlisted action: by the action). */
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly byAction = new Map<string, BucketLimit>();
  /** Calls answered, and throttled, per action. */
  public readonly counts = new Map<string, { calls: number; throttled: number }>();

  public constructor(
    private readonly now: () => number,
    limits: readonly BucketLimit[] = ECS_REQUEST_LIMITS,
    private readonly unlisted: BucketLimit = UNLISTED_ACTION_LIMIT,
  ) {
    for (const limit of limits) for (const action of limit.actions) this.byAction.set(action, limit);
  }

  /** The bucket an action draws from. */
  public limitOf(action: string): BucketLimit {
    return this.byAction.get(action) ?? this.unlisted;
  }

  /** Takes a token for one call: true when the call may go ahead, false when it is throttled. */
  public take(action: string): boolean {
    const limit = this.limitOf(action);
    const key = limit === this.unlisted ? `unlisted:${action}` : limit.group;
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: limit.capacity, at: now };
    bucket.tokens = Math.min(limit.capacity, bucket.tokens + ((now - bucket.at) / 1000) * limit.refillPerSecond);
    bucket.at = now;
    this.buckets.set(key, bucket);
    const count = this.counts.get(action) ?? { calls: 0, throttled: 0 };
    count.calls += 1;
    this.counts.set(action, count);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return true;
    }
    count.throttled += 1;
    return false;
  }

  /** Throttled calls over every action. */
  public throttled(): number {
    return [...this.counts.values()].reduce((sum, c) => sum + c.throttled, 0);
  }
}
