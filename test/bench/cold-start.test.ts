import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLED_FUNCTION_DIRS, buildNaiveBundles, bundlePart, DETECTOR_FUNCTION_ID, loadOnce, naiveDir } from '../../bench/cold-start';
import { PROJECT_ROOT } from '../../local/harness/bundles';
import { TASK_FUNCTIONS } from '../../statemachine/definition';

describe("a bundle's parts, from esbuild's metafile", () => {
  it.each([
    { input: 'node_modules/zod/v4/locales/he.js', part: 'zod locales' },
    { input: 'node_modules/zod/v4/core/schemas.js', part: 'zod' },
    { input: 'node_modules/@smithy/core/dist-es/submodules/protocols/HttpProtocol.js', part: '@smithy/core' },
    { input: 'node_modules/@aws-lambda-powertools/idempotency/node_modules/@aws-lambda-powertools/commons/lib/esm/index.js', part: '@aws-lambda-powertools/commons' },
    { input: 'lambdas/core/trigger.ts', part: 'our code' },
  ])('puts $input under $part', ({ input, part }) => {
    // Act / Assess
    expect(bundlePart(input)).toBe(part);
  });
});

describe('the functions whose bundles the bench measures', () => {
  it("measures the task-stop detector's bundle (DetectTaskStops, the CDK app's function id) beside the eight Tasks'", () => {
    // Act
    const measured = Object.entries(BUNDLED_FUNCTION_DIRS);

    // Assess
    expect(DETECTOR_FUNCTION_ID).toBe('DetectTaskStops');
    expect(measured).toEqual([...Object.entries(TASK_FUNCTIONS).map(([id, task]) => [id, task.dir]), ['DetectTaskStops', 'detect-task-stops']]);
    for (const [, dir] of measured) expect(existsSync(join(PROJECT_ROOT, 'lambdas', dir, 'handler.ts'))).toBe(true);
  });

  it("builds every naive bundle; the detector's and Notify's (its slim RDS client deep-imports client-rds's dist-es) load in a fresh node process", async () => {
    // Prepare
    const dir = naiveDir();
    try {
      // Act
      const naive = await buildNaiveBundles(dir);
      const detectorMs = await loadOnce(naive.DetectTaskStops, {});
      const notifyMs = await loadOnce(naive.Notify, {});

      // Assess
      expect(Object.keys(naive)).toEqual(Object.keys(BUNDLED_FUNCTION_DIRS));
      expect(detectorMs).toBeGreaterThan(0);
      expect(notifyMs).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
