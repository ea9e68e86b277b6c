import { describe, expect, it } from 'vitest';
import { bundlePart } from '../../bench/cold-start';

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
