/**
 * A small EventBridge event-pattern matcher, for testing the rules' patterns against real sample
 * events. Supports what EventBridge documents for content filtering: exact values (string, number,
 * boolean, null), prefix, suffix, equals-ignore-case, wildcard, anything-but (values, prefix, suffix),
 * exists, numeric, nested objects, `$or`, and arrays in the event (any element may match).
 * Unsupported operators throw instead of silently matching.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** True when `event` matches `pattern` the way an EventBridge rule would decide. */
export function matchesEventPattern(pattern: unknown, event: unknown): boolean {
  return matchObject(asPatternObject(pattern, 'pattern'), event, 'pattern');
}

function matchObject(pattern: Record<string, unknown>, value: unknown, path: string): boolean {
  const object = isObject(value) ? value : {};
  for (const [key, sub] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!Array.isArray(sub) || sub.length < 2) throw new Error(`${path}.$or: expected an array of at least 2 patterns`);
      if (!sub.some((alternative, i) => matchObject(asPatternObject(alternative, `${path}.$or[${i}]`), value, path))) {
        return false;
      }
      continue;
    }
    const field = object[key];
    if (Array.isArray(sub)) {
      if (!matchLeaf(sub, field, `${path}.${key}`)) return false;
    } else if (isObject(sub)) {
      if (!matchObject(sub, field, `${path}.${key}`)) return false;
    } else {
      throw new Error(`${path}.${key}: expected an array of matchers or a nested pattern, got ${JSON.stringify(sub)}`);
    }
  }
  return true;
}

function matchLeaf(matchers: unknown[], value: unknown, path: string): boolean {
  if (matchers.length === 0) throw new Error(`${path}: an empty array matches nothing (EventBridge rejects it)`);
  const values: unknown[] = Array.isArray(value) ? value : [value];
  return matchers.some((matcher) => {
    if (isObject(matcher)) {
      const [operator, ...rest] = Object.keys(matcher);
      if (operator === undefined || rest.length > 0) throw new Error(`${path}: a matcher object has exactly one operator`);
      if (operator === 'exists') return matchExists(matcher.exists, value, path);
      if (value === undefined) return false;
      return values.some((v) => matchOperator(operator, matcher[operator], v, path));
    }
    return value !== undefined && values.some((v) => equalsScalar(matcher, v));
  });
}

function matchExists(expected: unknown, value: unknown, path: string): boolean {
  if (typeof expected !== 'boolean') throw new Error(`${path}: exists takes true or false`);
  const present = value !== undefined && !(Array.isArray(value) && value.length === 0);
  return present === expected;
}

function matchOperator(operator: string, operand: unknown, value: unknown, path: string): boolean {
  switch (operator) {
    case 'prefix':
      return matchAffix(operand, value, path, (v, a) => v.startsWith(a));
    case 'suffix':
      return matchAffix(operand, value, path, (v, a) => v.endsWith(a));
    case 'equals-ignore-case':
      return typeof value === 'string' && value.toLowerCase() === asString(operand, path).toLowerCase();
    case 'wildcard':
      return typeof value === 'string' && wildcardRegExp(asString(operand, path)).test(value);
    case 'anything-but':
      return matchAnythingBut(operand, value, path);
    case 'numeric':
      return typeof value === 'number' && matchNumeric(operand, value, path);
    default:
      throw new Error(`${path}: unsupported operator ${JSON.stringify(operator)}`);
  }
}

function matchAffix(operand: unknown, value: unknown, path: string, test: (value: string, affix: string) => boolean): boolean {
  if (typeof value !== 'string') return false;
  if (isObject(operand) && typeof operand['equals-ignore-case'] === 'string') {
    return test(value.toLowerCase(), operand['equals-ignore-case'].toLowerCase());
  }
  return test(value, asString(operand, path));
}

function matchAnythingBut(operand: unknown, value: unknown, path: string): boolean {
  if (isObject(operand)) {
    const [operator] = Object.keys(operand);
    if (operator === undefined) throw new Error(`${path}: anything-but needs an operand`);
    const inner = operand[operator];
    const list = Array.isArray(inner) ? inner : [inner];
    return !list.some((item) => matchOperator(operator, item, value, path));
  }
  const excluded = Array.isArray(operand) ? operand : [operand];
  return !excluded.some((item) => equalsScalar(item, value));
}

function matchNumeric(operand: unknown, value: number, path: string): boolean {
  if (!Array.isArray(operand) || operand.length === 0 || operand.length % 2 !== 0) {
    throw new Error(`${path}: numeric takes [operator, number, ...]`);
  }
  for (let i = 0; i < operand.length; i += 2) {
    const op = operand[i];
    const bound = operand[i + 1];
    if (typeof bound !== 'number') throw new Error(`${path}: numeric bound must be a number`);
    const ok =
      op === '=' ? value === bound
      : op === '<' ? value < bound
      : op === '<=' ? value <= bound
      : op === '>' ? value > bound
      : op === '>=' ? value >= bound
      : undefined;
    if (ok === undefined) throw new Error(`${path}: unknown numeric operator ${JSON.stringify(op)}`);
    if (!ok) return false;
  }
  return true;
}

function equalsScalar(expected: unknown, value: unknown): boolean {
  if (isObject(expected) || Array.isArray(expected)) return false;
  return expected === value;
}

function wildcardRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`, 's');
}

function asPatternObject(value: unknown, path: string): Record<string, unknown> {
  if (!isObject(value)) throw new Error(`${path}: expected a pattern object`);
  return value;
}

function asString(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new Error(`${path}: expected a string operand, got ${JSON.stringify(value)}`);
  return value;
}

function isObject(value: unknown): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
