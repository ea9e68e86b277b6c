/**
 * The one state machine definition, statemachine/rollback.asl.json, and what it needs to run:
 * the CDK app deploys the file with these substitutions, the tests and the demo execute it
 * locally after renderDefinition().
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the ASL file. */
export const DEFINITION_PATH = join(dirname(fileURLToPath(import.meta.url)), 'rollback.asl.json');

/** The Lambda functions behind the ASL's Tasks: folder under lambdas/ and substitution key. */
export const TASK_FUNCTIONS = {
  Prepare: { dir: 'prepare', substitution: 'PrepareFunctionArn' },
  ResolveTarget: { dir: 'resolve-target', substitution: 'ResolveTargetFunctionArn' },
  RegisterTaskDefinition: { dir: 'register-task-definition', substitution: 'RegisterTaskDefinitionFunctionArn' },
  UpdateService: { dir: 'update-service', substitution: 'UpdateServiceFunctionArn' },
  CheckStability: { dir: 'check-stability', substitution: 'CheckStabilityFunctionArn' },
  ProbeHealth: { dir: 'probe-health', substitution: 'ProbeHealthFunctionArn' },
  Notify: { dir: 'notify', substitution: 'NotifyFunctionArn' },
  ReleaseLock: { dir: 'release-lock', substitution: 'ReleaseLockFunctionArn' },
} as const;

export type TaskFunctionId = keyof typeof TASK_FUNCTIONS;

/** Settings substituted into the definition (strings; the ASL parses them with States.StringToJson). */
export interface DefinitionSettings {
  readonly pollIntervalSeconds: number;
  readonly stabilizationTimeoutSeconds: number;
}

/** Every `${...}` key the definition uses, to be given by whoever deploys or runs it. */
export function substitutionsFor(
  functionArns: Record<TaskFunctionId, string>,
  settings: DefinitionSettings,
): Record<string, string> {
  const subs: Record<string, string> = {
    PollIntervalSeconds: String(settings.pollIntervalSeconds),
    StabilizationTimeoutSeconds: String(settings.stabilizationTimeoutSeconds),
  };
  for (const [id, fn] of Object.entries(TASK_FUNCTIONS)) {
    subs[fn.substitution] = functionArns[id as TaskFunctionId];
  }
  return subs;
}

/** The raw definition text, with its `${...}` placeholders. */
export function readDefinitionText(): string {
  return readFileSync(DEFINITION_PATH, 'utf8');
}

/**
 * The definition text with the state machine's overall TimeoutSeconds set (the file itself has
 * none: it follows from the settings, see lib/execution-budget.ts). Placeholders stay as they are.
 */
export function definitionTextWithTimeout(timeoutSeconds: number, text: string = readDefinitionText()): string {
  const definition = JSON.parse(text) as Record<string, unknown>;
  const { Comment, StartAt, States, ...rest } = definition;
  return JSON.stringify({ Comment, TimeoutSeconds: timeoutSeconds, StartAt, States, ...rest }, null, 2);
}

/** The `${...}` placeholders the definition text contains. */
export function placeholdersIn(text: string): string[] {
  return [...new Set([...text.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1] as string))].sort();
}

/** The definition with every placeholder replaced; throws naming a placeholder left without a value. */
export function renderDefinition(substitutions: Record<string, string>): Record<string, unknown> {
  const text = readDefinitionText();
  const missing = placeholdersIn(text).filter((key) => substitutions[key] === undefined);
  if (missing.length > 0) {
    throw new Error(`renderDefinition: no value for \${${missing.join('}, ${')}}`);
  }
  return JSON.parse(text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_, key: string) => substitutions[key] as string));
}

/** Task state name → the function behind it (NotifySuccess → Notify, ...), read from the definition. */
export function taskStateFunctions(definition: Record<string, unknown>, substitutions: Record<string, string>): Record<string, TaskFunctionId> {
  const byArn = new Map<string, TaskFunctionId>();
  for (const [id, fn] of Object.entries(TASK_FUNCTIONS)) {
    byArn.set(substitutions[fn.substitution] as string, id as TaskFunctionId);
  }
  const states = (definition as { States: Record<string, { Type: string; Resource?: string }> }).States;
  const result: Record<string, TaskFunctionId> = {};
  for (const [name, state] of Object.entries(states)) {
    if (state.Type !== 'Task') continue;
    const id = byArn.get(state.Resource ?? '');
    if (id === undefined) throw new Error(`Task state ${name} names an unknown resource ${state.Resource}`);
    result[name] = id;
  }
  return result;
}
