/**
 * AWS's API request throttling for the stand-in's ECS: a token bucket per action that refills on
 * the modelled clock. A call takes one token; an empty bucket answers ThrottlingException, as ECS
 * does. Bucket sizes and refill rates follow the ECS guide "Request throttling for the Amazon ECS
 * API" (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html): its
 * worked example gives cluster read actions (DescribeClusters) a bucket of 50 tokens refilled at
 * 20 per second. The guide's table of every action group could not be read here, so every other
 * group carries a labelled estimate (`estimate`), never a silent number.
 */

/** Where the limits come from. */
export const ECS_THROTTLING_SOURCE = 'https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html';

/** One action group's bucket. */
export interface BucketLimit {
  readonly group: string;
  readonly actions: readonly string[];
  /** Bucket maximum capacity: the burst rate (tokens). */
  readonly capacity: number;
  /** Bucket refill rate: the sustained rate (tokens per second). */
  readonly refillPerSecond: number;
  /** Why the figure is an estimate; absent when the guide states it. */
  readonly estimate?: string;
}

const READ_ESTIMATE = 'estimate: the same bucket as the guide\'s cluster read actions (50, 20/s)';

/** ECS's buckets, one per action group; each action of a group has its own bucket of that size. */
export const ECS_REQUEST_LIMITS: readonly BucketLimit[] = [
  { group: 'cluster read', actions: ['DescribeClusters', 'ListClusters'], capacity: 50, refillPerSecond: 20 },
  { group: 'service read', actions: ['DescribeServices', 'ListServices'], capacity: 50, refillPerSecond: 20, estimate: READ_ESTIMATE },
  {
    group: 'service deployment read',
    actions: ['ListServiceDeployments', 'DescribeServiceDeployments', 'DescribeServiceRevisions'],
    capacity: 50,
    refillPerSecond: 20,
    estimate: READ_ESTIMATE,
  },
  { group: 'cluster resource read', actions: ['DescribeTasks', 'ListTasks'], capacity: 50, refillPerSecond: 20, estimate: READ_ESTIMATE },
  {
    group: 'task definition read',
    actions: ['DescribeTaskDefinition', 'ListTaskDefinitions'],
    capacity: 50,
    refillPerSecond: 20,
    estimate: READ_ESTIMATE,
  },
  {
    group: 'service modify',
    actions: ['UpdateService', 'CreateService', 'DeleteService', 'StopServiceDeployment'],
    capacity: 50,
    refillPerSecond: 5,
    estimate: 'estimate: writes refill at a quarter of reads',
  },
  {
    group: 'task definition modify',
    actions: ['RegisterTaskDefinition', 'DeregisterTaskDefinition', 'TagResource'],
    capacity: 20,
    refillPerSecond: 1,
    estimate: 'estimate: task definition registrations are the slowest writes',
  },
];

/** The bucket of an action the table does not list. */
export const UNLISTED_ACTION_LIMIT: BucketLimit = {
  group: 'unlisted',
  actions: [],
  capacity: 20,
  refillPerSecond: 5,
  estimate: 'estimate: an action the table does not list gets a small write-sized bucket',
};

/** Token buckets per action, refilled on a clock in epoch ms. */
export class RequestThrottle {
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
    const now = this.now();
    const bucket = this.buckets.get(action) ?? { tokens: limit.capacity, at: now };
    bucket.tokens = Math.min(limit.capacity, bucket.tokens + ((now - bucket.at) / 1000) * limit.refillPerSecond);
    bucket.at = now;
    this.buckets.set(action, bucket);
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
