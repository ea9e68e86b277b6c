/**
 * Event patterns that list many values (service ARNs, alarm names) split over as few EventBridge
 * rules as needed, each pattern within EventBridge's size limit as measured once CloudFormation
 * resolves it (tokens at their longest possible values, as the synth-time limits check measures).
 */
import { CfnResource, Stack } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type { IConstruct } from 'constructs';
import { AWS_LIMITS, LongestResolver, type TemplateJson } from './limits';

/** One pattern and the values it lists. */
export interface PatternChunk<T> {
  readonly pattern: events.EventPattern;
  readonly values: readonly T[];
}

/** The characters a pattern counts against EventBridge's limit once deployed (tokens at their longest). */
export function eventPatternSize(scope: IConstruct, pattern: events.EventPattern): number {
  const rendered: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(pattern)) rendered[key === 'detailType' ? 'detail-type' : key] = value;
  const resolved = new LongestResolver(resourceTypesOf(Stack.of(scope))).resolve(Stack.of(scope).resolve(rendered));
  return JSON.stringify(resolved).length;
}

/**
 * Splits `values` into consecutive groups, as few as the limit allows, so that `build(group)` stays
 * within `maxCharacters` (EventBridge's 2,048 by default). Throws when one value alone does not fit,
 * naming the value. Use one rule per returned pattern.
 */
export function splitEventPatterns<T>(
  scope: IConstruct,
  values: readonly T[],
  build: (group: readonly T[]) => events.EventPattern,
  maxCharacters: number = AWS_LIMITS.eventPattern.max,
): PatternChunk<T>[] {
  const chunks: PatternChunk<T>[] = [];
  let group: T[] = [];
  for (const value of values) {
    const candidate = [...group, value];
    if (eventPatternSize(scope, build(candidate)) <= maxCharacters) {
      group = candidate;
      continue;
    }
    if (group.length === 0) {
      throw new Error(
        `splitEventPatterns: ${JSON.stringify(Stack.of(scope).resolve(value))} alone makes an event pattern longer than ${maxCharacters} characters`,
      );
    }
    chunks.push({ pattern: build(group), values: group });
    group = [value];
  }
  if (group.length > 0) chunks.push({ pattern: build(group), values: group });
  return chunks;
}

/**
 * The stack's resources by logical id with their types only, so a reference to a resource of the
 * app (the cluster and service next to EcsAutoRollback) counts at the longest name of its type
 * instead of as an unknown value.
 */
function resourceTypesOf(stack: Stack): TemplateJson {
  const resources: Record<string, { Type: string }> = {};
  for (const construct of stack.node.findAll()) {
    if (construct instanceof CfnResource && Stack.of(construct) === stack) {
      resources[stack.resolve(construct.logicalId) as string] = { Type: construct.cfnResourceType };
    }
  }
  return { Resources: resources };
}
