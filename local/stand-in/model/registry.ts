/**
 * Task definitions (families and revisions) and ECR repositories and images, including how an image
 * behaves when a task runs it ("good", "bad": fails to start, "regression": turns unhealthy later).
 */
import { sha256Digest } from '../ids';
import { ApiError } from '../protocols';
import type { ModelCore } from './core';
import type { EcrImage, EcrRepository, ImageBehaviour, TaskDefinitionInput, TaskDefinitionRecord } from './types';

const ECR_IMAGE = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com\/([^:@]+)(?::([^@]+))?(?:@(sha256:[a-f0-9]{64}))?$/;

/** Task definitions and ECR. */
export class Registry {
  private readonly taskDefinitions = new Map<string, TaskDefinitionRecord[]>();
  private readonly repositories = new Map<string, EcrRepository>();
  private readonly foreignImageBehaviours = new Map<string, ImageBehaviour>();

  public constructor(private readonly m: ModelCore) {}

  // ---------------------------------------------------------------- task definitions

  /** Registers the next revision of a family (seeding may skip ahead to a given revision). */
  public registerTaskDefinition(input: TaskDefinitionInput, options: { registeredAt?: number; revision?: number } = {}): TaskDefinitionRecord {
    const registeredAt = options.registeredAt ?? this.m.now();
    if (typeof input.family !== 'string' || !/^[A-Za-z0-9_-]{1,255}$/.test(input.family)) {
      throw new ApiError('ClientException', 'Family contains invalid characters or is missing.');
    }
    if (!Array.isArray(input.containerDefinitions) || input.containerDefinitions.length === 0) {
      throw new ApiError('ClientException', 'Container list cannot be empty.');
    }
    for (const container of input.containerDefinitions) {
      if (typeof container.name !== 'string' || container.name === '') throw new ApiError('ClientException', 'Container.name should not be null or empty.');
      if (typeof container.image !== 'string' || container.image === '') throw new ApiError('ClientException', 'Container.image should not be null or empty.');
    }
    const revisions = this.taskDefinitions.get(input.family) ?? [];
    const next = (revisions.at(-1)?.revision ?? 0) + 1;
    if (options.revision !== undefined && options.revision < next) throw new Error(`${input.family}: revision ${options.revision} is already taken`);
    const revision = options.revision ?? next;
    const { tags, ...definition } = input;
    const record: TaskDefinitionRecord = {
      arn: this.m.ecsArn(`task-definition/${input.family}:${revision}`),
      family: input.family,
      revision,
      status: 'ACTIVE',
      registeredAt,
      definition: structuredClone(definition) as unknown as TaskDefinitionRecord['definition'],
      tags: (tags ?? []).map((t) => ({ key: t.key, value: t.value })),
    };
    revisions.push(record);
    this.taskDefinitions.set(input.family, revisions);
    return record;
  }

  /** A task definition by `family`, `family:revision` or ARN; undefined when unknown. */
  public findTaskDefinition(ref: string): TaskDefinitionRecord | undefined {
    const name = ref.startsWith('arn:') ? ref.slice(ref.indexOf('/') + 1) : ref;
    const [family, revisionText] = name.split(':');
    const revisions = this.taskDefinitions.get(family ?? '');
    if (revisions === undefined) return undefined;
    if (revisionText === undefined) return [...revisions].reverse().find((r) => r.status === 'ACTIVE');
    return revisions.find((r) => String(r.revision) === revisionText);
  }

  /** Every revision of a family, oldest first. */
  public taskDefinitionRevisions(family: string): readonly TaskDefinitionRecord[] {
    return this.taskDefinitions.get(family) ?? [];
  }

  // ---------------------------------------------------------------- ECR

  /** Creates (or returns) an ECR repository. */
  public createRepository(name: string, createdAt = this.m.now()): EcrRepository {
    const existing = this.repositories.get(name);
    if (existing !== undefined) return existing;
    const repository: EcrRepository = {
      name,
      arn: `arn:aws:ecr:${this.m.region}:${this.m.account}:repository/${name}`,
      uri: `${this.m.account}.dkr.ecr.${this.m.region}.amazonaws.com/${name}`,
      createdAt,
      images: [],
    };
    this.repositories.set(name, repository);
    return repository;
  }

  /** A repository by name, or undefined. */
  public findRepository(name: string): EcrRepository | undefined {
    return this.repositories.get(name);
  }

  /** Every repository. */
  public listRepositories(): readonly EcrRepository[] {
    return [...this.repositories.values()];
  }

  /** Pushes an image; its tags move from older images, as `docker push` does. */
  public pushImage(
    repositoryName: string,
    image: { tags: readonly string[]; behaviour?: ImageBehaviour; pushedAt?: number; digest?: string; sizeInBytes?: number },
  ): EcrImage {
    const repository = this.repositories.get(repositoryName) ?? this.createRepository(repositoryName);
    const pushedAt = image.pushedAt ?? this.m.now();
    for (const other of repository.images) other.tags = other.tags.filter((t) => !image.tags.includes(t));
    const record: EcrImage = {
      digest: image.digest ?? sha256Digest(`${repositoryName}:${image.tags.join(',')}:${pushedAt}`),
      tags: [...image.tags],
      pushedAt,
      sizeInBytes: image.sizeInBytes ?? 48_000_000 + Math.floor(this.m.ids.next() * 4_000_000),
      behaviour: image.behaviour ?? 'good',
    };
    repository.images.push(record);
    return record;
  }

  /** Marks how an image behaves: an ECR image URI (tag or digest) or any other image reference. */
  public markImage(imageRef: string, behaviour: ImageBehaviour): void {
    const ecr = this.lookupEcrImage(imageRef);
    if (ecr !== undefined && ecr !== 'missing') ecr.behaviour = behaviour;
    else this.foreignImageBehaviours.set(imageRef, behaviour);
  }

  /** The ECR image an image reference names; 'missing' for our registry but unknown; undefined for other registries. */
  public lookupEcrImage(imageRef: string): EcrImage | 'missing' | undefined {
    const match = ECR_IMAGE.exec(imageRef);
    if (match === null || match[1] !== this.m.account || match[2] !== this.m.region) return undefined;
    const repository = this.repositories.get(match[3]!);
    if (repository === undefined) return 'missing';
    const digest = match[5];
    const tag = match[4] ?? (digest === undefined ? 'latest' : undefined);
    const found = repository.images.find((i) => (digest !== undefined ? i.digest === digest : i.tags.includes(tag!)));
    return found ?? 'missing';
  }

  /** How a task running `imageRef` behaves, and the digest it pulls. */
  public imageBehaviour(imageRef: string): { behaviour: ImageBehaviour | 'missing'; digest?: string } {
    const ecr = this.lookupEcrImage(imageRef);
    if (ecr === 'missing') return { behaviour: 'missing' };
    if (ecr !== undefined) return { behaviour: ecr.behaviour, digest: ecr.digest };
    return { behaviour: this.foreignImageBehaviours.get(imageRef) ?? 'good' };
  }
}
