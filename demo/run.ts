/**
 * `npm run demo [-- --scenario <name>] [--json] [--list]`: plays a rollback on this machine with
 * the real state machine definition and the real bundled Lambda code against the local AWS
 * stand-in, prints the timeline and the notification a person would receive, and exits 0 only
 * when the scenario ended as expected (1 otherwise, 2 for a bad command line).
 */
import { parseArgs } from 'node:util';
import {
  buildBundles,
  createWorld,
  describeService,
  formatModelled,
  formatReal,
  isScenarioName,
  runScenario,
  SCENARIO_NAMES,
  SCENARIOS,
  type Scenario,
  type ScenarioOutcome,
  summarize,
  TimelinePrinter,
  timelineHeader,
} from '../local/harness/index';

const USAGE = `Usage: npm run demo [-- --scenario <name>] [--json] [--list]

  --scenario, -s <name>  one of: ${SCENARIO_NAMES.join(', ')} (default: deployment-failed)
  --json                 print a machine-readable summary instead of the timeline
  --list                 list the scenarios and exit
  --help, -h             this text`;

const out = (text = ''): void => {
  process.stdout.write(`${text}\n`);
};

function listScenarios(): void {
  out('Scenarios (npm run demo -- --scenario <name>):');
  for (const name of SCENARIO_NAMES) out(`  ${name.padEnd(20)} ${SCENARIOS[name].title}`);
}

function expectedLine(scenario: Scenario): string {
  const { expected } = scenario;
  const health = expected.healthy === true ? ', steady and healthy' : expected.healthy === false ? ', not steady' : '';
  const deployments = expected.deployments === 0 ? 'no UpdateService' : `${expected.deployments} UpdateService call${expected.deployments > 1 ? 's' : ''}`;
  const native = (expected.nativeRollbacks ?? 0) === 0 ? '' : `; ECS's own rollback (StopServiceDeployment, ROLLBACK) ${expected.nativeRollbacks} time${expected.nativeRollbacks === 1 ? '' : 's'}`;
  return `a ${expected.notification} notification; the service on ${expected.taskDefinition}${health}; ${deployments}${native}`;
}

function printHeader(scenario: Scenario): void {
  out(`ecs-auto-rollback demo: ${scenario.name} — ${scenario.title}`);
  out();
  for (const text of scenario.story) out(`  ${text}`);
  out(`  Expected: ${expectedLine(scenario)}.`);
  out();
  out('  Runs statemachine/rollback.asl.json (aws-local-stepfunctions) with the Lambda code bundled by esbuild');
  out('  exactly as the CDK app bundles it, against a local stand-in for ECS, ECR, ELBv2 and SNS on 127.0.0.1');
  out('  and dynalite for the state table. Time is modelled: waits and ECS take modelled time, not real time.');
  out();
}

function printNotification(outcome: ScenarioOutcome): void {
  const { notifications } = outcome.run;
  if (notifications.length === 0) {
    out('No notification was published.');
    return;
  }
  for (const message of notifications) {
    out(`Notification (SNS Publish to ${message.topicArn})`);
    out(`  Subject: ${message.subject ?? '(none)'}`);
    for (const text of message.message.split('\n')) out(`  │ ${text}`.trimEnd());
    out();
  }
}

function printEnding(scenario: Scenario, outcome: ScenarioOutcome, unmet: readonly string[]): void {
  const { run, settled } = outcome;
  out(
    `Execution ${run.result.status} after ${formatModelled(run.modelMs)} modelled (${formatReal(run.realMs)} real), ` +
      `${run.result.transitions} state transitions, ${run.calls.length} AWS calls to the stand-in.`,
  );
  out(`Service when the execution ended: ${describeService(outcome.after)}`);
  if (settled.afterModelMs > 0) {
    out(
      settled.steady
        ? `Service ${formatModelled(settled.afterModelMs)} later (old tasks drained): ${describeService(settled.summary)}`
        : `Service after ${formatModelled(settled.afterModelMs)} more modelled time: ${describeService(settled.summary)}`,
    );
  }
  out();
  if (unmet.length === 0) {
    out(`Verdict: as expected (${expectedLine(scenario)}).`);
  } else {
    out('Verdict: NOT as expected:');
    for (const text of unmet) out(`  - ${text}`);
  }
}

async function play(scenario: Scenario, json: boolean): Promise<number> {
  if (!json) printHeader(scenario);
  if (!json) process.stdout.write("Bundling the 8 functions with the CDK app's esbuild settings... ");
  const bundles = await buildBundles();
  if (!json) out(`done in ${formatReal(bundles.buildMs)}.`);
  const world = await createWorld({ ...scenario.world, bundles });
  const printer = new TimelinePrinter(out);
  let outcome: ScenarioOutcome;
  let unmet: string[];
  try {
    outcome = await runScenario(world, scenario, {
      executionName: `demo-${scenario.name}`,
      onTrigger: (trigger) => {
        if (json) return;
        out(`Trigger: ${trigger.description}`);
        out();
        out('Timeline (at: modelled time since the trigger; took: modelled time in the state; real: wall clock)');
        out(timelineHeader());
      },
      ...(json ? {} : { onPhase: (phase) => printer.add(phase) }),
    });
    unmet = scenario.verify(world, outcome);
  } finally {
    await world.dispose();
  }
  if (json) {
    out(JSON.stringify(summarize(scenario, outcome, unmet), null, 2));
  } else {
    printer.end();
    out();
    printNotification(outcome);
    printEnding(scenario, outcome, unmet);
  }
  return unmet.length === 0 ? 0 : 1;
}

async function main(argv: readonly string[]): Promise<number> {
  let values: { scenario?: string; json?: boolean; list?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        scenario: { type: 'string', short: 's' },
        json: { type: 'boolean', default: false },
        list: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    out(USAGE);
    return 0;
  }
  if (values.list) {
    listScenarios();
    return 0;
  }
  const name = values.scenario ?? 'deployment-failed';
  if (!isScenarioName(name)) {
    process.stderr.write(`Unknown scenario "${name}". Scenarios: ${SCENARIO_NAMES.join(', ')}\n`);
    return 2;
  }
  const json = values.json === true;
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  if (json) process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  else process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  return play(SCENARIOS[name], json);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
