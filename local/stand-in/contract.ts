/**
 * The stand-in held to AWS's own API models: every request it receives and every answer it gives
 * is checked against the Smithy schemas shipped in the `@aws-sdk/client-*` packages (the same
 * schemas the SDK serialises and parses with), and enum values against the enums the SDK lists.
 *
 * What is checked, per member: no member the operation's shape does not define (unknown members);
 * the value's type (structure, list, map, string, number, boolean, blob, timestamp); enum values
 * within those the SDK's model lists; timestamps as the protocol encodes them (AWS JSON 1.0/1.1:
 * epoch seconds as a number; AWS Query: ISO 8601, here a Date or ISO string before XML encoding);
 * and, for requests, that every required member is present.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { NormalizedSchema } from '@smithy/core/schema';

/** The services whose models the contract knows, and their SDK packages and wire protocols. */
export const CONTRACT_SERVICES = {
  ECS: { pkg: '@aws-sdk/client-ecs', protocol: 'json' },
  ECR: { pkg: '@aws-sdk/client-ecr', protocol: 'json' },
  ELBv2: { pkg: '@aws-sdk/client-elastic-load-balancing-v2', protocol: 'query' },
  SNS: { pkg: '@aws-sdk/client-sns', protocol: 'query' },
  SFN: { pkg: '@aws-sdk/client-sfn', protocol: 'json' },
  DynamoDB: { pkg: '@aws-sdk/client-dynamodb', protocol: 'json' },
  CloudFormation: { pkg: '@aws-sdk/client-cloudformation', protocol: 'query' },
  IAM: { pkg: '@aws-sdk/client-iam', protocol: 'query' },
  CloudWatch: { pkg: '@aws-sdk/client-cloudwatch', protocol: 'json' },
  SQS: { pkg: '@aws-sdk/client-sqs', protocol: 'json' },
  EventBridge: { pkg: '@aws-sdk/client-eventbridge', protocol: 'json' },
  KMS: { pkg: '@aws-sdk/client-kms', protocol: 'json' },
} as const;

/** A service the contract can check. */
export type ContractService = keyof typeof CONTRACT_SERVICES;

/** One place where a request or an answer leaves the AWS model. */
export interface ContractViolation {
  readonly service: string;
  readonly operation: string;
  readonly direction: 'request' | 'response';
  /** Where in the document, e.g. `services[0].deployments[1].rolloutState`. */
  readonly path: string;
  readonly problem: string;
}

interface ServiceModel {
  readonly exports: Record<string, unknown>;
  /** `Shape.member` → the values of the enum the SDK types that member with. */
  readonly enums: ReadonlyMap<string, readonly string[]>;
  readonly protocol: 'json' | 'query';
}

const require = createRequire(import.meta.url);
const models = new Map<ContractService, ServiceModel>();

/** Reads `Shape.member → enum values` from the package's type declarations (the SDK keeps enums out of its schemas). */
function readEnums(pkg: string, exports: Record<string, unknown>): Map<string, readonly string[]> {
  const typesDir = join(dirname(require.resolve(pkg)), '..', 'dist-types', 'models');
  const enums = new Map<string, readonly string[]>();
  let files: string[];
  try {
    files = readdirSync(typesDir).filter((file) => file.endsWith('.d.ts'));
  } catch {
    return enums;
  }
  for (const file of files) {
    let shape: string | undefined;
    for (const line of readFileSync(join(typesDir, file), 'utf8').split('\n')) {
      const open = /^export interface (\w+)\b/.exec(line);
      if (open !== null) {
        shape = open[1];
        continue;
      }
      if (line.startsWith('}')) {
        shape = undefined;
        continue;
      }
      if (shape === undefined) continue;
      const member = /^ {4}(\w+)\??: (\w+)(\[\])?(?: \| undefined)?;$/.exec(line);
      if (member === null) continue;
      const enumObject = exports[member[2]!];
      if (enumObject === null || typeof enumObject !== 'object' || Array.isArray(enumObject)) continue;
      const values = Object.values(enumObject as Record<string, unknown>);
      if (values.length > 0 && values.every((value) => typeof value === 'string')) {
        enums.set(`${shape}.${member[1]}`, values as string[]);
      }
    }
  }
  return enums;
}

function modelOf(service: ContractService): ServiceModel {
  let model = models.get(service);
  if (model === undefined) {
    const { pkg, protocol } = CONTRACT_SERVICES[service];
    const exports = require(pkg) as Record<string, unknown>;
    model = { exports, enums: readEnums(pkg, exports), protocol };
    models.set(service, model);
  }
  return model;
}

/** Whether the contract knows this service. */
export function isContractService(service: string): service is ContractService {
  return Object.hasOwn(CONTRACT_SERVICES, service);
}

type Schema = NormalizedSchema;

function operationSchema(service: ContractService, operation: string): { input: Schema; output: Schema } | undefined {
  const op = modelOf(service).exports[`${operation}$`];
  if (!Array.isArray(op) || op[0] !== 9) return undefined;
  const [input, output] = [op[4], op[5]] as [() => unknown, () => unknown];
  return { input: NormalizedSchema.of(input() as never), output: NormalizedSchema.of(output() as never) };
}

/** Names of the members a structure requires (the compact schema lists required members first and counts them). */
function requiredMembers(schema: Schema): string[] {
  const raw = schema.getSchema() as unknown as unknown[];
  const names = raw[4];
  const count = raw[6];
  return Array.isArray(names) && typeof count === 'number' ? (names.slice(0, count) as string[]) : [];
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Date) return 'a Date';
  return typeof value === 'string' ? `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}` : `a ${typeof value}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date);
}

interface Walk {
  readonly model: ServiceModel;
  /** AWS Query carries every scalar as text and timestamps as ISO 8601; AWS JSON as JSON types and epoch seconds. */
  readonly encoding: 'json' | 'query' | 'event';
  readonly direction: 'request' | 'response';
  readonly problems: { path: string; problem: string }[];
}

function checkValue(walk: Walk, schema: Schema, value: unknown, path: string, enumKey: string | undefined): void {
  const report = (problem: string): void => {
    walk.problems.push({ path: path === '' ? '(root)' : path, problem });
  };
  if (value === undefined) return;
  const query = walk.encoding === 'query';
  if (schema.isStructSchema() || schema.isUnionSchema()) {
    if (!isPlainObject(value)) {
      report(`expected a structure (${schema.getName() ?? 'structure'}), got ${describe(value)}`);
      return;
    }
    const members = schema.getMemberSchemas();
    const xmlNames = new Map<string, string>();
    if (query) {
      for (const [name, member] of Object.entries(members)) {
        const xmlName = member.getMergedTraits().xmlName;
        if (typeof xmlName === 'string') xmlNames.set(xmlName, name);
      }
    }
    const shapeName = schema.getName() ?? '';
    for (const [key, memberValue] of Object.entries(value)) {
      const name = Object.hasOwn(members, key) ? key : xmlNames.get(key);
      if (name === undefined) {
        walk.problems.push({ path: path === '' ? key : `${path}.${key}`, problem: `member "${key}" is not defined by ${shapeName || 'this shape'}` });
        continue;
      }
      checkValue(walk, members[name]!, memberValue, path === '' ? key : `${path}.${key}`, `${shapeName}.${name}`);
    }
    if (walk.direction === 'request') {
      for (const name of requiredMembers(schema)) {
        if (value[name] === undefined) walk.problems.push({ path: path === '' ? name : `${path}.${name}`, problem: `required member "${name}" of ${shapeName} is missing` });
      }
    }
    if (schema.isUnionSchema() && Object.keys(value).length !== 1) report('a union must set exactly one member');
    return;
  }
  if (schema.isListSchema()) {
    if (!Array.isArray(value)) {
      report(`expected a list, got ${describe(value)}`);
      return;
    }
    const item = schema.getValueSchema();
    for (const [index, element] of value.entries()) checkValue(walk, item, element, `${path}[${index}]`, enumKey);
    return;
  }
  if (schema.isMapSchema()) {
    if (!isPlainObject(value)) {
      report(`expected a map, got ${describe(value)}`);
      return;
    }
    const item = schema.getValueSchema();
    for (const [key, element] of Object.entries(value)) checkValue(walk, item, element, `${path}["${key}"]`, undefined);
    return;
  }
  if (schema.isTimestampSchema()) {
    if (walk.encoding !== 'json') {
      if (!(value instanceof Date) && !(typeof value === 'string' && ISO_8601.test(value))) {
        report(`expected an ISO 8601 timestamp (${walk.encoding === 'query' ? 'AWS Query' : 'event'}), got ${describe(value)}`);
      }
    } else if (typeof value !== 'number' || !Number.isFinite(value)) {
      report(`expected a timestamp as epoch seconds (AWS JSON), got ${describe(value)}`);
    }
    return;
  }
  if (schema.isBooleanSchema()) {
    if (typeof value !== 'boolean' && !(query && (value === 'true' || value === 'false'))) report(`expected a boolean, got ${describe(value)}`);
    return;
  }
  if (schema.isNumericSchema() || schema.isBigIntegerSchema() || schema.isBigDecimalSchema()) {
    const numeric = typeof value === 'number' || (query && typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)));
    if (!numeric) report(`expected a number, got ${describe(value)}`);
    return;
  }
  if (schema.isBlobSchema()) {
    if (typeof value !== 'string' && !(value instanceof Uint8Array)) report(`expected a blob (base64 text), got ${describe(value)}`);
    return;
  }
  if (schema.isStringSchema()) {
    if (typeof value !== 'string') {
      report(`expected a string, got ${describe(value)}`);
      return;
    }
    const allowed = enumKey === undefined ? undefined : walk.model.enums.get(enumKey);
    if (allowed !== undefined && !allowed.includes(value)) report(`${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
  }
}

function check(service: string, operation: string, direction: 'request' | 'response', document: unknown): ContractViolation[] {
  if (!isContractService(service)) return [];
  const schemas = operationSchema(service, operation);
  if (schemas === undefined) {
    return [{ service, operation, direction, path: '(operation)', problem: `${service} has no operation ${operation} in ${CONTRACT_SERVICES[service].pkg}` }];
  }
  const model = modelOf(service);
  const walk: Walk = { model, encoding: model.protocol, direction, problems: [] };
  checkValue(walk, direction === 'request' ? schemas.input : schemas.output, document ?? {}, '', undefined);
  return walk.problems.map((problem) => ({ service, operation, direction, ...problem }));
}

/** Checks an operation's answer (for AWS Query: the result structure before XML encoding). */
export function checkResponse(service: string, operation: string, output: unknown): ContractViolation[] {
  return check(service, operation, 'response', output);
}

/**
 * Checks a request. JSON protocols: the JSON body. AWS Query: the flat form (`Names.member.1`,
 * `Tags.member.1.Key`), whose top-level names must be members of the input (Action and Version aside).
 */
export function checkRequest(service: string, operation: string, input: Record<string, unknown>): ContractViolation[] {
  if (!isContractService(service) || modelOf(service).protocol === 'json') return check(service, operation, 'request', input);
  const schemas = operationSchema(service, operation);
  if (schemas === undefined) return check(service, operation, 'request', input);
  const members = schemas.input.getMemberSchemas();
  const present = new Set<string>();
  const violations: ContractViolation[] = [];
  for (const key of Object.keys(input)) {
    if (key === 'Action' || key === 'Version') continue;
    const top = key.split('.')[0]!;
    present.add(top);
    if (!Object.hasOwn(members, top)) {
      violations.push({ service, operation, direction: 'request', path: key, problem: `parameter "${top}" is not defined by ${schemas.input.getName() ?? 'the input'}` });
    }
  }
  for (const name of requiredMembers(schemas.input)) {
    if (!present.has(name)) violations.push({ service, operation, direction: 'request', path: name, problem: `required parameter "${name}" is missing` });
  }
  return violations;
}

/** The EventBridge envelope every AWS event carries (https://docs.aws.amazon.com/eventbridge/latest/ref/events-structure.html). */
const ENVELOPE = ['version', 'id', 'detail-type', 'source', 'account', 'time', 'region', 'resources', 'detail'] as const;

/**
 * Members of an "ECS Task State Change" detail beyond the DescribeTasks `Task` shape, as the event
 * sample shows them (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html).
 */
const TASK_EVENT_EXTRA_MEMBERS = new Set(['updatedAt']);

/** The sample event each documented detail type is compared with (test/fixtures/events, sources in SOURCES.md). */
const EVENT_SAMPLES: Record<string, string> = {
  'ECS Deployment State Change': 'ecs-deployment-failed.json',
  'CloudWatch Alarm State Change': 'cloudwatch-alarm-state-change.json',
};

/** Paths of a sample whose keys are free (maps), so only their values' types are compared. */
const SAMPLE_MAPS = new Set(['detail.configuration.metrics[].metricStat.metric.dimensions']);

const samplesDir = join(dirname(new URL(import.meta.url).pathname), '..', '..', 'test', 'fixtures', 'events');
const samples = new Map<string, unknown>();

function sampleOf(file: string): unknown {
  let sample = samples.get(file);
  if (sample === undefined) {
    sample = JSON.parse(readFileSync(join(samplesDir, file), 'utf8')) as unknown;
    samples.set(file, sample);
  }
  return sample;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}

/** Compares a value's members and JSON types with a documented sample's, both ways (nothing missing, nothing extra). */
function compareWithSample(value: unknown, sample: unknown, path: string, problems: { path: string; problem: string }[]): void {
  const here = path === '' ? '(root)' : path;
  if (jsonType(value) !== jsonType(sample)) {
    problems.push({ path: here, problem: `expected ${jsonType(sample)} as in AWS's sample event, got ${jsonType(value)}` });
    return;
  }
  if (Array.isArray(value) && Array.isArray(sample) && sample.length > 0) {
    for (const [index, element] of value.entries()) compareWithSample(element, sample[0], `${path}[${index}]`, problems);
    return;
  }
  if (!isPlainObject(value) || !isPlainObject(sample)) return;
  const shapePath = path.replace(/\[\d+\]/g, '[]');
  if (SAMPLE_MAPS.has(shapePath)) {
    const valueType = jsonType(Object.values(sample)[0]);
    for (const [key, element] of Object.entries(value)) {
      if (jsonType(element) !== valueType) problems.push({ path: `${path}.${key}`, problem: `expected ${valueType} as in AWS's sample event, got ${jsonType(element)}` });
    }
    return;
  }
  for (const key of Object.keys(value)) {
    if (!Object.hasOwn(sample, key)) problems.push({ path: path === '' ? key : `${path}.${key}`, problem: `member "${key}" is not in AWS's sample event` });
  }
  for (const [key, element] of Object.entries(sample)) {
    const child = path === '' ? key : `${path}.${key}`;
    if (!Object.hasOwn(value, key)) problems.push({ path: child, problem: `member "${key}" of AWS's sample event is missing` });
    else compareWithSample(value[key], element, child, problems);
  }
}

/**
 * Checks an EventBridge event the stand-in emits: the envelope; an "ECS Task State Change" detail
 * against the SDK's `Task` shape (timestamps as ISO strings, as the event carries them); other
 * detail types against AWS's documented sample event of that type.
 */
export function checkEvent(event: unknown): ContractViolation[] {
  const detailType = isPlainObject(event) && typeof event['detail-type'] === 'string' ? event['detail-type'] : '(no detail-type)';
  const problems: { path: string; problem: string }[] = [];
  if (!isPlainObject(event)) {
    problems.push({ path: '(root)', problem: `expected an event object, got ${describe(event)}` });
  } else {
    for (const key of Object.keys(event)) {
      if (!(ENVELOPE as readonly string[]).includes(key)) problems.push({ path: key, problem: `member "${key}" is not part of the EventBridge envelope` });
    }
    for (const key of ENVELOPE) if (event[key] === undefined) problems.push({ path: key, problem: `envelope member "${key}" is missing` });
    if (detailType === 'ECS Task State Change') {
      const detail = isPlainObject(event['detail']) ? event['detail'] : {};
      const { ...taskMembers } = detail;
      for (const key of TASK_EVENT_EXTRA_MEMBERS) delete taskMembers[key];
      const walk: Walk = { model: modelOf('ECS'), encoding: 'event', direction: 'response', problems };
      const task = NormalizedSchema.of((modelOf('ECS').exports['Task$'] as never) ?? ([] as never));
      checkValue(walk, task, taskMembers, 'detail', undefined);
    } else {
      const file = EVENT_SAMPLES[detailType];
      if (file === undefined) problems.push({ path: 'detail-type', problem: `no AWS sample event is known for "${detailType}"` });
      else compareWithSample(event, sampleOf(file), '', problems);
    }
  }
  return problems.map((problem) => ({ service: 'EventBridge', operation: detailType, direction: 'response' as const, ...problem }));
}

/** Collects the violations a running stand-in met, in the order it met them. */
export class ContractLog {
  public readonly violations: ContractViolation[] = [];

  /** Records what an emitted EventBridge event breaks. */
  public recordEvent(event: unknown): void {
    this.violations.push(...checkEvent(event));
  }

  /** Records what a request and, when it succeeded, its answer break. */
  public record(service: string, operation: string, input: Record<string, unknown>, output: unknown | undefined): void {
    this.violations.push(...checkRequest(service, operation, input));
    if (output !== undefined) this.violations.push(...checkResponse(service, operation, output));
  }

  /** One line per violation, for an assertion message. */
  public summary(): string {
    return this.violations.map((v) => `${v.service} ${v.operation} ${v.direction} ${v.path}: ${v.problem}`).join('\n');
  }
}
