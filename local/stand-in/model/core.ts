/**
 * The model's kernel: modelled time, the job queue, emitted events and ids, and the parts that own
 * the resources (one file each, so a reader finds them):
 *
 * - `services.ts`: clusters and services (CreateService, UpdateService, summaries)
 * - `deployments.ts`: deployments, the service scheduler, the circuit breaker, service deployments and revisions
 * - `tasks.ts`: task lifecycle (Fargate start, failure, stop and drain)
 * - `target-health.ts`: load balancers, target groups and target health
 * - `alarms.ts`: UnHealthyHostCount alarms
 * - `registry.ts`: task definitions and ECR repositories and images
 *
 * Work is queued at modelled instants and runs lazily, in time order, on every request and on
 * `tick()`. Parts call each other through `this.m` (the core).
 */
import type { ModelClock } from '../clock';
import type { EventListener, StandInEvent } from '../events';
import { IdGenerator } from '../ids';
import { Alarms } from './alarms';
import { Deployments } from './deployments';
import { Registry } from './registry';
import { Services } from './services';
import { TargetHealth } from './target-health';
import { Tasks } from './tasks';
import { DEFAULT_TIMINGS, type DurationRange, type ModelOptions, type ModelTransition, type ServiceRecord, type Timings } from './types';

interface Job {
  readonly at: number;
  readonly seq: number;
  readonly run: () => void;
}

/** Time, queue, events and the parts of the modelled account. */
export class ModelCore {
  public readonly clock: ModelClock;
  public readonly account: string;
  public readonly region: string;
  public readonly timings: Timings;
  /** Every event emitted so far, in order. */
  public readonly emitted: StandInEvent[] = [];
  /** The seed of ids and draws. */
  public readonly seed: number;
  /** Seeded ids, so runs repeat exactly. */
  public readonly ids: IdGenerator;
  /** Seeded draws of modelled durations (Fargate start, health check phases, delays), apart from the ids. */
  public readonly random: IdGenerator;
  /** Task, target and deployment transitions, in order (what users feel is measured from them). */
  public readonly history: ModelTransition[] = [];

  public readonly registry: Registry;
  public readonly services: Services;
  public readonly deployments: Deployments;
  public readonly tasks: Tasks;
  public readonly health: TargetHealth;
  public readonly alarms: Alarms;

  private readonly listeners = new Set<EventListener>();
  private readonly queue: Job[] = [];
  private jobSeq = 0;
  private ticking = false;
  private time: number;

  public constructor(options: ModelOptions) {
    this.clock = options.clock;
    this.account = options.account ?? '111122223333';
    this.region = options.region ?? 'us-east-1';
    this.seed = options.seed ?? 1;
    this.ids = new IdGenerator(this.seed);
    this.random = new IdGenerator(((options.seed ?? 1) * 2654435761) ^ 0x5bd1e995);
    this.timings = { ...DEFAULT_TIMINGS, ...options.timings };
    this.time = this.clock.now();
    this.registry = new Registry(this);
    this.services = new Services(this);
    this.deployments = new Deployments(this);
    this.tasks = new Tasks(this);
    this.health = new TargetHealth(this);
    this.alarms = new Alarms(this);
  }

  /** Modelled now, as the model sees it (the time of the job running, or the clock). */
  public now(): number {
    return this.ticking ? this.time : Math.max(this.time, this.clock.now());
  }

  /** Runs every queued job due by the clock's now, in time order. */
  public tick(): void {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const now = this.clock.now();
      for (let job = this.queue[0]; job !== undefined && job.at <= now; job = this.queue[0]) {
        this.queue.shift();
        this.time = Math.max(this.time, job.at);
        job.run();
      }
      this.time = Math.max(this.time, now);
    } finally {
      this.ticking = false;
    }
  }

  /** Moves the clock forward by `ms` and runs what became due. */
  public advance(ms: number): void {
    this.clock.advance(ms);
    this.tick();
  }

  /** Modelled time of the next queued job (undefined when nothing is pending). */
  public nextJobAt(): number | undefined {
    return this.queue[0]?.at;
  }

  /** Subscribes to events; returns the unsubscribe function. */
  public onEvent(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Queues `run` at modelled time `at` (after the jobs already queued for that instant). */
  public schedule(at: number, run: () => void): void {
    const job: Job = { at, seq: this.jobSeq++, run };
    let i = this.queue.length;
    while (i > 0 && this.queue[i - 1]!.at > at) i--;
    this.queue.splice(i, 0, job);
  }

  /** Records an event and hands it to the listeners. */
  public emit(event: StandInEvent): void {
    this.emitted.push(event);
    for (const listener of this.listeners) listener(event);
  }

  /** A duration drawn uniformly from a range (seeded). */
  public draw(range: DurationRange): number {
    return range.max <= range.min ? range.min : range.min + (range.max - range.min) * this.random.next();
  }

  /** Records a transition (see {@link ModelTransition}). */
  public record(transition: ModelTransition): void {
    this.history.push(transition);
  }

  /** `arn:aws:ecs:<region>:<account>:<resource>`. */
  public ecsArn(resource: string): string {
    return `arn:aws:ecs:${this.region}:${this.account}:${resource}`;
  }

  /** Adds a service event (newest first, at most 100, as DescribeServices shows them). */
  public addServiceEvent(service: ServiceRecord, message: string, at: number): void {
    service.events.unshift({ id: this.ids.uuid(), createdAt: at, message });
    if (service.events.length > 100) service.events.length = 100;
  }
}
