import { appendFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  allCases,
  type CaseResult,
  caseName,
  discoverPairs,
  formatMatrix,
  isDetectorStory,
  type MatrixCase,
  type MatrixContext,
  newPairs,
  runCase,
} from '../../local/harness/fault-matrix';
import type { World } from '../../local/harness/index';
import { useBundledWorlds } from '../helpers/bundled-worlds';

/** `FAULT_MATRIX=full` (npm run test:faults) runs every case; npm test runs this representative part. */
const FULL = process.env.FAULT_MATRIX === 'full';
/**
 * `FAULT_MATRIX_CASES=<name>,<name>` (with FAULT_MATRIX=full) runs only the cases of these names, to look at one again;
 * `FAULT_MATRIX_LIST=1` prints the names of the cases first.
 */
const ONLY = process.env.FAULT_MATRIX_CASES?.split(',').map((name) => name.trim()).filter((name) => name !== '');
const SUBSET = new Set([
  'Prepare ECS.DescribeServices#1 throttle-once',
  'Prepare ECS.DescribeServices#1 persistent-5xx',
  'Prepare ECS.DescribeServices#1 reset-before',
  'Prepare ECS.DescribeServices#1 hang',
  '[task-stop-detector] DetectTaskStops SFN.StartExecution#1 lost-after',
  '[task-stop-detector] crash-after DetectTaskStops (the K-th stop: it starts the rollback)',
]);

const worlds = useBundledWorlds();

describe('the fault matrix: every operation of a rollback faulted, every task crashed', () => {
  it(`ends every ${FULL ? '' : 'representative '}case heard, with the service on the target or untouched, once, and the lock free for the next trigger`, async () => {
    // Prepare
    // One world for every case, reset in between (starting a world and importing the bundles costs more than a case):
    // FAULT_MATRIX_FRESH_WORLDS=1 starts a fresh one per case instead.
    // A story that needs other world options (the detector's scenario) starts its own, once per switch.
    let shared: World | undefined;
    let sharedOptions: string | undefined;
    const start: MatrixContext['start'] = async (options) => {
      if (process.env.FAULT_MATRIX_FRESH_WORLDS === '1') return worlds.start(options);
      const key = JSON.stringify(options ?? {});
      if (shared === undefined || key !== sharedOptions) {
        await shared?.dispose();
        shared = await worlds.start(options);
        sharedOptions = key;
      } else {
        shared = await shared.reset();
      }
      return { ...shared, dispose: async () => undefined };
    };
    const context: MatrixContext = { start, target: 'riderapp:14', failing: 'riderapp:15' };
    const { pairs, tasks, clean } = await discoverPairs(context);
    let cases: MatrixCase[] = allCases(pairs, tasks);
    // The operations only an image target calls (ECR, RegisterTaskDefinition), and a crash of the Tasks that call them;
    // A lock left by an ended execution, which Prepare asks Step Functions about (DescribeExecution) and takes over;
    // The task-stop detector's own calls and crashes, and what the rollback it starts calls that the others do not.
    let known = pairs;
    const cleanDetector: string[] = [];
    // ECS's own rollback of the deployment still in flight when the detector acts (StopServiceDeployment), and a crash of the Tasks that call it.
    const more = FULL ? (['image-target', 'stale-lock', 'task-stop-detector', 'task-stop-in-flight'] as const) : (['task-stop-detector'] as const);
    for (const story of more) {
      const discovered = await discoverPairs(context, story);
      if (isDetectorStory(story)) cleanDetector.push(`${story} ${discovered.clean.result.status}`);
      const added = newPairs(known, discovered.pairs);
      known = [...known, ...added];
      // The detector's Lambda is crashed in its first story; the second adds the operations of the rollback ECS makes.
      const crashPoints = story === 'task-stop-detector' ? discovered.crashPoints : [];
      cases = [...cases, ...allCases(added, [...new Set(added.map((p) => p.task))], story, crashPoints)];
    }
    if (process.env.FAULT_MATRIX_LIST === '1') console.log(cases.map(caseName).join('\n'));
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
    expect(cleanDetector).toEqual(more.filter(isDetectorStory).map((story) => `${story} SUCCEEDED`));
    expect(FULL ? results.length : SUBSET.size).toBe(results.length);
    expect(results.length).toBeGreaterThan(0);
    expect(results.filter((r) => r.unsafe.length > 0).map((r) => `${r.name}: ${r.unsafe.join('; ')}`)).toEqual([]);
  }, 3_600_000);
});
