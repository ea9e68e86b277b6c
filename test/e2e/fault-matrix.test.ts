import { appendFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  allCases,
  type CaseResult,
  caseName,
  discoverPairs,
  formatMatrix,
  type MatrixCase,
  type MatrixContext,
  newPairs,
  runCase,
} from '../../local/harness/fault-matrix';
import type { World } from '../../local/harness/index';
import { useBundledWorlds } from '../helpers/bundled-worlds';

/** `FAULT_MATRIX=full` (npm run test:faults) runs every case; npm test runs this representative part. */
const FULL = process.env.FAULT_MATRIX === 'full';
/** `FAULT_MATRIX_CASES=<name>,<name>` (with FAULT_MATRIX=full) runs only the cases of these names, to look at one again. */
const ONLY = process.env.FAULT_MATRIX_CASES?.split(',').map((name) => name.trim()).filter((name) => name !== '');
const SUBSET = new Set([
  'Prepare ECS.DescribeServices#1 throttle-once',
  'Prepare ECS.DescribeServices#1 persistent-5xx',
  'Prepare ECS.DescribeServices#1 reset-before',
  'Prepare ECS.DescribeServices#1 hang',
]);

const worlds = useBundledWorlds();

describe('the fault matrix: every operation of a rollback faulted, every task crashed', () => {
  it(`ends every ${FULL ? '' : 'representative '}case heard, with the service on the target or untouched, once, and the lock free for the next trigger`, async () => {
    // Prepare
    // One world for every case, reset in between (starting a world and importing the bundles costs more than a case):
    // FAULT_MATRIX_FRESH_WORLDS=1 starts a fresh one per case instead.
    let shared: World | undefined;
    const start: MatrixContext['start'] = async (options) => {
      if (process.env.FAULT_MATRIX_FRESH_WORLDS === '1') return worlds.start(options);
      shared = shared === undefined ? await worlds.start(options) : await shared.reset();
      return { ...shared, dispose: async () => undefined };
    };
    const context: MatrixContext = { start, target: 'riderapp:14', failing: 'riderapp:15' };
    const { pairs, tasks, clean } = await discoverPairs(context);
    let cases: MatrixCase[] = allCases(pairs, tasks);
    if (FULL) {
      // The operations only an image target calls (ECR, RegisterTaskDefinition), and a crash of the Tasks that call them;
      // A lock left by an ended execution, which Prepare asks Step Functions about (DescribeExecution) and takes over.
      let known = pairs;
      for (const story of ['image-target', 'stale-lock'] as const) {
        const discovered = await discoverPairs(context, story);
        const added = newPairs(known, discovered.pairs);
        known = [...known, ...added];
        cases = [...cases, ...allCases(added, [...new Set(added.map((p) => p.task))], story)];
      }
    }
    cases = cases.filter((c) => (FULL ? ONLY === undefined || ONLY.includes(caseName(c)) : SUBSET.has(caseName(c))));

    // Act
    const results: CaseResult[] = [];
    for (const c of cases) {
      const result = await runCase(context, c);
      results.push(result);
      if (process.env.FAULT_MATRIX_PROGRESS !== undefined) {
        appendFileSync(process.env.FAULT_MATRIX_PROGRESS, `${result.unsafe.length === 0 ? 'safe' : 'UNSAFE'} ${result.name} | ${result.status} | ${result.notifications.join('+')} | ${result.finalTaskDefinition} | ${result.secondTrigger} | ${result.unsafe.join('; ')}\n`);
      }
    }
    const table = formatMatrix(results);
    console.log(table);
    if (process.env.FAULT_MATRIX_REPORT !== undefined) writeFileSync(process.env.FAULT_MATRIX_REPORT, `${table}\n`);

    // Assess
    expect(clean.result.status).toBe('SUCCEEDED');
    expect(FULL ? results.length : SUBSET.size).toBe(results.length);
    expect(results.length).toBeGreaterThan(0);
    expect(results.filter((r) => r.unsafe.length > 0).map((r) => `${r.name}: ${r.unsafe.join('; ')}`)).toEqual([]);
  }, 3_600_000);
});
