/**
 * The local harness: a world (stand-in + dynalite + the bundled Lambda code on modelled time),
 * one execution of the real ASL with a timeline, and the demo's scenarios.
 */
import './polyfill';

export { type Bundles, buildBundles, esbuildOptionsFrom, importBundles, importDetector, type LoadedFunction, removeBundles } from './bundles';
export { attachDetector, type HarnessDetector, type HarnessDetectorOptions, matchesDetectorRule } from './detector';
export { installModelledDate, type RestoreDate } from './modelled-date';
export { type DynamoProxy, itemKindOf, startDynamoProxy } from './dynamo-proxy';
export {
  type CrashSpec,
  describeResult,
  lambdaCrash,
  type Phase,
  type PhaseCall,
  type RollbackRun,
  type RunRollbackOptions,
  runRollback,
  shortTaskDefinition,
  type StateType,
} from './run';
export {
  deployAndComplete,
  deployAndFail,
  DETECTOR_WITHIN_MS,
  firstAlarmAt,
  firstRollbackCallAt,
  describeService,
  type ExpectedEnding,
  isAlarm,
  isDeploymentFailed,
  isScenarioName,
  endingsOf,
  notificationKindOf,
  projectImageDigest,
  runScenario,
  runsRevision,
  SCENARIO_NAMES,
  SCENARIOS,
  type Scenario,
  type ScenarioName,
  type ScenarioOutcome,
  type ScenarioTrigger,
  seedSingleRevision,
  settle,
  unmetExpectations,
} from './scenarios';
export { type LocalStateTable, startStateTable } from './state-table';
export { type PhaseSummary, type ScenarioSummary, summarize } from './summary';
export { countCalls, formatCalls, formatModelled, formatOffset, formatReal, TimelinePrinter, timelineHeader } from './timeline';
export { createWorld, deployedDefaults, MODELLED_LAMBDA_LATENCY_MS, PROJECT, RIDERAPP, type World, type WorldOptions } from './world';
