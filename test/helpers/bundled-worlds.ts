/** The end-to-end tests' worlds: the bundled functions built once per file, each test's world disposed after it. */
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import {
  type Bundles,
  buildBundles,
  createWorld,
  deployAndFail,
  removeBundles,
  type World,
  type WorldOptions,
} from '../../local/harness/index';
import type { StandInEvent } from '../../local/stand-in/index';

/** Starts worlds on the file's bundles; the hooks that build, dispose and remove are registered by useBundledWorlds(). */
export interface BundledWorlds {
  /** A world with these options; disposed after the test. */
  start(options?: Omit<WorldOptions, 'bundles'>): Promise<World>;
  /** A world where riderapp:15 was deployed and failed, and its SERVICE_DEPLOYMENT_FAILED event. */
  failedDeployment(): Promise<{ world: World; event: StandInEvent }>;
}

/** Registers the file's hooks (build the bundles before all, dispose the test's world after each, remove the bundles after all). */
export function useBundledWorlds(): BundledWorlds {
  let bundles: Bundles;
  let world: World | undefined;

  beforeAll(async () => {
    bundles = await buildBundles();
  });

  afterAll(() => removeBundles());

  afterEach(async () => {
    const contract = world?.standIn.contract;
    if (contract !== undefined) expect(contract.violations, `the stand-in left AWS's API models:\n${contract.summary()}`).toEqual([]);
    await world?.dispose();
    world = undefined;
  });

  const start = async (options: Omit<WorldOptions, 'bundles'> = {}): Promise<World> => {
    world = await createWorld({ ...options, bundles });
    return world;
  };
  return {
    start,
    async failedDeployment() {
      const started = await start();
      return { world: started, event: deployAndFail(started, 'riderapp:15') };
    },
  };
}

/** The task definitions of the UpdateService calls ECS accepted, in order. */
export const acceptedDeployments = (world: World): unknown[] =>
  world.standIn.calls.succeeded('UpdateService', 'ECS').map((c) => c.params['taskDefinition']);
