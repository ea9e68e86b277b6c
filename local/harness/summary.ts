/** The machine-readable summary of a scenario's run (`npm run demo -- --json`). */
import type { NotificationKind } from '../../lambdas/shared/types';
import type { StateType } from './run';
import { describeService, notificationKindOf, type Scenario, type ScenarioOutcome } from './scenarios';
import { countCalls } from './timeline';

/** One state of the run, as the summary lists it. */
export interface PhaseSummary {
  readonly state: string;
  readonly type: StateType;
  readonly atModelledMs: number;
  readonly modelledMs: number;
  readonly realMs: number;
  readonly attempts: number;
  readonly note?: string;
  readonly error?: string;
  readonly calls: Readonly<Record<string, number>>;
}

/** What `--json` prints. */
export interface ScenarioSummary {
  readonly scenario: string;
  readonly title: string;
  readonly outcome: {
    /** Every expectation of the scenario held. */
    readonly asExpected: boolean;
    readonly unmet: readonly string[];
    readonly execution: 'SUCCEEDED' | 'FAILED' | 'ABORTED';
    readonly notification?: NotificationKind;
    /** Steady and healthy once old tasks drained. */
    readonly healthy: boolean;
  };
  readonly expected: Scenario['expected'];
  readonly trigger: string;
  readonly finalTaskDefinition: string;
  readonly service: { readonly before: string; readonly afterExecution: string; readonly settled: string; readonly settledAfterModelledMs: number };
  readonly deployments: number;
  readonly registrations: number;
  readonly executionArn: string;
  readonly transitions: number;
  readonly retried: readonly string[];
  readonly caught: readonly string[];
  readonly durations: { readonly modelledMs: number; readonly realMs: number };
  readonly phases: readonly PhaseSummary[];
  readonly apiCalls: Readonly<Record<string, number>>;
  readonly notifications: readonly { readonly kind?: NotificationKind; readonly subject?: string; readonly message: string }[];
  readonly error?: { readonly Error: string; readonly Cause: string };
}

/** The summary of one scenario run, with the expectations that did not hold. */
export function summarize(scenario: Scenario, outcome: ScenarioOutcome, unmet: readonly string[]): ScenarioSummary {
  const { run } = outcome;
  const notificationKind = outcome.notificationKind;
  return {
    scenario: scenario.name,
    title: scenario.title,
    outcome: {
      asExpected: unmet.length === 0,
      unmet,
      execution: run.result.status,
      ...(notificationKind === undefined ? {} : { notification: notificationKind }),
      healthy: outcome.settled.steady,
    },
    expected: scenario.expected,
    trigger: outcome.trigger.description,
    finalTaskDefinition: outcome.finalTaskDefinition,
    service: {
      before: describeService(outcome.before),
      afterExecution: describeService(outcome.after),
      settled: describeService(outcome.settled.summary),
      settledAfterModelledMs: outcome.settled.afterModelMs,
    },
    deployments: outcome.deployments,
    registrations: outcome.registrations,
    executionArn: run.result.executionArn,
    transitions: run.result.transitions,
    retried: run.result.retried,
    caught: run.result.caught,
    durations: { modelledMs: run.modelMs, realMs: Math.round(run.realMs) },
    phases: run.timeline.map((p) => ({
      state: p.state,
      type: p.type,
      atModelledMs: p.atModelMs,
      modelledMs: p.modelMs,
      realMs: Math.round(p.realMs),
      attempts: p.attempts,
      ...(p.note === undefined ? {} : { note: p.note }),
      ...(p.error === undefined ? {} : { error: p.error }),
      calls: countCalls(p.calls),
    })),
    apiCalls: countCalls(run.calls.map((c) => ({ service: c.service, operation: c.operation, status: c.status }))),
    notifications: run.notifications.map((n) => {
      const kind = notificationKindOf(n);
      return { ...(kind === undefined ? {} : { kind }), ...(n.subject === undefined ? {} : { subject: n.subject }), message: n.message };
    }),
    ...(run.result.error === undefined ? {} : { error: run.result.error }),
  };
}
