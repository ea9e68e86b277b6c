/**
 * One CloudWatch dashboard per project: rollbacks by ending and by service, time to recovered
 * (p50/p90), the system's own alarms, the DLQ depth, the task functions' errors and durations, and
 * the state machine's executions. Per-service metrics are read with SEARCH expressions (one query,
 * any number of services) and folded with SUM/SORT, so the widgets stay readable at 200 services.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-search-expressions.html
 */
import { Aws, Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { DIMENSION, METRIC, METRIC_DIMENSION_SETS, type MetricName, OUTCOME } from '../../lambdas/shared/metrics';

/** Props of {@link RollbackDashboard}. */
export interface RollbackDashboardProps {
  /** The project: the dashboard's name and the `Project` dimension of every metric. */
  readonly project: string;
  /** The metrics' namespace (POWERTOOLS_METRICS_NAMESPACE). */
  readonly namespace: string;
  /** Powertools' `service` dimension value (POWERTOOLS_SERVICE_NAME). */
  readonly powertoolsService: string;
  readonly stateMachine: sfn.IStateMachine;
  /** The task functions, by name. */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  readonly deadLetterQueues: readonly sqs.IQueue[];
  /**
   * The system's own alarms (failed executions, DLQ messages, function errors …), shown with their state.
   * @default none: the widget says so
   */
  readonly alarms?: readonly cloudwatch.IAlarm[];
  /** @default `<project>-ecs-auto-rollback` */
  readonly dashboardName?: string;
}

const WIDTH = 24;
const HALF = 12;
const THIRD = 8;
const HEIGHT = 6;
const PERIOD = Duration.minutes(5);
/** Services shown in a "top" widget; the others are in the totals. */
export const TOP_SERVICES = 10;

/** The schema part of a SEARCH expression for a metric's dimension set: `{EcsAutoRollback,EcsService,Outcome,Project,service}`. */
export function searchSchema(namespace: string, dimensions: readonly string[]): string {
  return `{${[namespace, ...[...dimensions].sort()].join(',')}}`;
}

/**
 * The CloudWatch dashboard of one project. `dashboardUrl` is the console link (also a stack output).
 */
export class RollbackDashboard extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;
  /** The console page of the dashboard. */
  public readonly dashboardUrl: string;
  private readonly props: RollbackDashboardProps;
  private readonly alarms: cloudwatch.IAlarm[];

  public constructor(scope: Construct, id: string, props: RollbackDashboardProps) {
    super(scope, id);
    this.props = props;
    this.alarms = [...(props.alarms ?? [])];
    const dashboardName = props.dashboardName ?? `${props.project}-ecs-auto-rollback`;
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName,
      defaultInterval: Duration.days(1),
    });
    // the console's URL of a dashboard (format as the console writes it; not in an API reference, UNV)
    this.dashboardUrl = `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards/dashboard/${dashboardName}`;

    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# ${props.project}: ECS auto-rollback\nEvery ending of the state machine (\`${METRIC.ROLLBACKS}\` by \`${DIMENSION.OUTCOME}\`), per service with SEARCH; the system's own health below.`,
        width: WIDTH,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(this.endingsWidget(), this.topServicesWidget());
    this.dashboard.addWidgets(this.recoveryWidget(), this.skippedWidget(), this.failedWidget());
    this.dashboard.addWidgets(new OwnAlarmsWidget(this.alarms));
    this.dashboard.addWidgets(this.executionsWidget(), this.deadLetterWidget());
    this.dashboard.addWidgets(...this.functionWidgets());
  }

  /** Adds alarms of the system itself (e.g. failed executions, DLQ messages) to the alarm status widget. */
  public addAlarms(...alarms: cloudwatch.IAlarm[]): void {
    this.alarms.push(...alarms);
  }

  /** A SEARCH over one metric of this project, with extra `Dimension="value"` terms. */
  private search(metric: MetricName, dimensions: readonly string[], statistic: string, terms: Readonly<Record<string, string>> = {}): string {
    const filters = Object.entries({ [DIMENSION.POWERTOOLS_SERVICE]: this.props.powertoolsService, [DIMENSION.PROJECT]: this.props.project, ...terms })
      .map(([name, value]) => `${name}="${value}"`)
      .join(' ');
    return `SEARCH('${searchSchema(this.props.namespace, dimensions)} MetricName="${metric}" ${filters}', '${statistic}', ${PERIOD.toSeconds()})`;
  }

  private endingsWidget(): cloudwatch.IWidget {
    const [projectWide] = METRIC_DIMENSION_SETS[METRIC.ROLLBACKS];
    const outcomes = [OUTCOME.SUCCEEDED, OUTCOME.FAILED, OUTCOME.SKIPPED, OUTCOME.DRY_RUN];
    return new cloudwatch.GraphWidget({
      title: 'Rollbacks by ending',
      width: HALF,
      height: HEIGHT,
      stacked: true,
      left: outcomes.map(
        (outcome) =>
          new cloudwatch.MathExpression({
            expression: `SUM(${this.search(METRIC.ROLLBACKS, projectWide ?? [], 'Sum', { [DIMENSION.OUTCOME]: outcome })})`,
            label: outcome,
            period: PERIOD,
          }),
      ),
    });
  }

  private topServicesWidget(): cloudwatch.IWidget {
    const perService = METRIC_DIMENSION_SETS[METRIC.ROLLBACKS][1] ?? [];
    return new cloudwatch.GraphWidget({
      title: `Rollbacks by service and ending (top ${TOP_SERVICES})`,
      width: HALF,
      height: HEIGHT,
      left: [
        new cloudwatch.MathExpression({
          expression: `SORT(${this.search(METRIC.ROLLBACKS, perService, 'Sum')}, SUM, DESC, ${TOP_SERVICES})`,
          label: '',
          period: PERIOD,
        }),
      ],
    });
  }

  private recoveryWidget(): cloudwatch.IWidget {
    const [projectWide] = METRIC_DIMENSION_SETS[METRIC.TIME_TO_RECOVERED];
    return new cloudwatch.GraphWidget({
      title: 'Time to recovered (seconds, from the trigger)',
      width: THIRD,
      height: HEIGHT,
      left: ['p50', 'p90'].map(
        (statistic) =>
          new cloudwatch.MathExpression({
            expression: this.search(METRIC.TIME_TO_RECOVERED, projectWide ?? [], statistic),
            label: statistic,
            period: PERIOD,
          }),
      ),
    });
  }

  private skippedWidget(): cloudwatch.IWidget {
    const [dimensions] = METRIC_DIMENSION_SETS[METRIC.SKIPPED];
    return new cloudwatch.GraphWidget({
      title: `Skipped, by service and reason (top ${TOP_SERVICES})`,
      width: THIRD,
      height: HEIGHT,
      left: [
        new cloudwatch.MathExpression({
          expression: `SORT(${this.search(METRIC.SKIPPED, dimensions ?? [], 'Sum')}, SUM, DESC, ${TOP_SERVICES})`,
          label: '',
          period: PERIOD,
        }),
      ],
    });
  }

  private failedWidget(): cloudwatch.IWidget {
    const [dimensions] = METRIC_DIMENSION_SETS[METRIC.FAILED];
    return new cloudwatch.GraphWidget({
      title: `Failed, by service and step (top ${TOP_SERVICES})`,
      width: THIRD,
      height: HEIGHT,
      left: [
        new cloudwatch.MathExpression({
          expression: `SORT(${this.search(METRIC.FAILED, dimensions ?? [], 'Sum')}, SUM, DESC, ${TOP_SERVICES})`,
          label: '',
          period: PERIOD,
        }),
      ],
    });
  }

  private executionsWidget(): cloudwatch.IWidget {
    const machine = this.props.stateMachine;
    const options = { period: PERIOD, statistic: 'Sum' };
    return new cloudwatch.GraphWidget({
      title: 'State machine executions',
      width: HALF,
      height: HEIGHT,
      left: [
        machine.metricStarted({ ...options, label: 'Started' }),
        machine.metricSucceeded({ ...options, label: 'Succeeded' }),
        machine.metricFailed({ ...options, label: 'Failed' }),
        machine.metricAborted({ ...options, label: 'Aborted' }),
        machine.metricTimedOut({ ...options, label: 'Timed out' }),
      ],
    });
  }

  private deadLetterWidget(): cloudwatch.IWidget {
    return new cloudwatch.GraphWidget({
      title: 'Dead-letter queue depth (events that could not start an execution)',
      width: HALF,
      height: HEIGHT,
      left: this.props.deadLetterQueues.map((queue) =>
        queue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum', label: queue.node.id }),
      ),
    });
  }

  private functionWidgets(): cloudwatch.IWidget[] {
    const entries = Object.entries(this.props.functions);
    return [
      new cloudwatch.GraphWidget({
        title: 'Task function errors',
        width: HALF,
        height: HEIGHT,
        left: entries.map(([name, fn]) => fn.metricErrors({ period: PERIOD, statistic: 'Sum', label: name })),
      }),
      new cloudwatch.GraphWidget({
        title: 'Task function duration (p90, ms)',
        width: HALF,
        height: HEIGHT,
        left: entries.map(([name, fn]) => fn.metricDuration({ period: PERIOD, statistic: 'p90', label: name })),
      }),
    ];
  }
}

/** The alarm status of the system's own alarms, decided at synth time (alarms may be added after the dashboard). */
class OwnAlarmsWidget implements cloudwatch.IWidget {
  public readonly width = WIDTH;
  public readonly height = 3;
  public readonly warnings: string[] = [];
  private x = 0;
  private y = 0;

  public constructor(private readonly alarms: readonly cloudwatch.IAlarm[]) {}

  public position(x: number, y: number): void {
    this.x = x;
    this.y = y;
  }

  public toJson(): unknown[] {
    const widget =
      this.alarms.length === 0
        ? new cloudwatch.TextWidget({ markdown: "### The system's own alarms\nNone configured yet.", width: this.width, height: this.height })
        : new cloudwatch.AlarmStatusWidget({ title: "The system's own alarms", alarms: [...this.alarms], width: this.width, height: this.height });
    widget.position(this.x, this.y);
    return widget.toJson();
  }
}
