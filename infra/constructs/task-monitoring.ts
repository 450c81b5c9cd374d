/**
 * Alarms and a dashboard for the task pipeline. Alarms notify an SNS topic (with an optional email
 * subscription): a dead-lettered dispatch, dispatcher or poller errors, a poller that stopped running
 * or lags behind its tasks, ComfyUI unreachable, a failing instance status check, API 5xx bursts.
 * The dashboard shows the business metrics the functions emit (shared/telemetry-names.ts).
 */
import { Duration } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  FLEET_METRICS,
  METRICS_NAMESPACE,
  SERVICE_NAME,
  TASK_METRICS,
} from '../../shared/telemetry-names.js';

export interface TaskMonitoringProps {
  readonly dispatcher: IFunction;
  readonly poller: IFunction;
  /** Every other function (errors and throttles on the dashboard). */
  readonly otherFunctions: readonly IFunction[];
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
  /** Webhook events whose retries ran out. */
  readonly webhookDeadLetterQueue: IQueue;
  readonly api: HttpApi;
  /** The Auto Scaling group of ComfyUI GPU instances. */
  readonly gpuGroupName: string;
  /**
   * Subscribe this address to the alarm topic (AWS emails a confirmation link first).
   * @default - no subscription
   */
  readonly alarmEmail?: string;
  /**
   * Alarm when a task at ComfyUI went this long without being polled.
   * @default 120
   */
  readonly pollerLagThresholdSeconds?: number;
}

const FIVE_MINUTES = Duration.minutes(5);

/** One of the product's EMF metrics (dimension `service`, added by Powertools). */
const taskMetric = (metricName: string, statistic = 'Sum', period = FIVE_MINUTES) =>
  new Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: SERVICE_NAME },
    statistic,
    period,
  });

export class TaskMonitoring extends Construct {
  public readonly topic: Topic;
  public readonly alarms: Alarm[] = [];
  public readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: TaskMonitoringProps) {
    super(scope, id);
    this.topic = new Topic(this, 'AlarmTopic', {
      displayName: 'comfy-serverless alarms',
      enforceSSL: true,
    });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));

    const dlqVisible = props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      statistic: 'Maximum',
      period: FIVE_MINUTES,
    });
    this.alarm('DeadLetterMessages', dlqVisible, 0, {
      description:
        'Dispatch messages reached the dead-letter queue: ComfyUI was unavailable for their tasks.',
    });
    const webhookDlqVisible = props.webhookDeadLetterQueue.metricApproximateNumberOfMessagesVisible(
      { statistic: 'Maximum', period: FIVE_MINUTES },
    );
    this.alarm('WebhookDeadLetterMessages', webhookDlqVisible, 0, {
      description:
        'Webhook events reached their dead-letter queue: a receiver failed every attempt over about a ' +
        'day (the task shows the last error under webhook.deliveries).',
    });
    this.alarm('DispatcherErrors', props.dispatcher.metricErrors({ period: FIVE_MINUTES }), 0, {
      description: 'The dispatcher crashed or timed out (its messages are retried).',
    });
    this.alarm('PollerErrors', props.poller.metricErrors({ period: FIVE_MINUTES }), 0, {
      description: 'The poller failed in two 5-minute periods in a row.',
      evaluationPeriods: 2,
    });
    this.alarm('PollerNotRunning', props.poller.metricInvocations({ period: FIVE_MINUTES }), 1, {
      description: 'The poller did not run for 10 minutes (schedule disabled or throttled).',
      comparison: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 2,
      missing: TreatMissingData.BREACHING,
    });
    const lag = taskMetric(TASK_METRICS.pollerLagSeconds, 'Maximum');
    this.alarm('PollerLag', lag, props.pollerLagThresholdSeconds ?? 120, {
      description: 'A task at ComfyUI has not been polled for too long.',
    });
    // The dispatcher counts every retryable dispatch failure (ComfyUI unreachable, in practice);
    // the poller counts the servers it could not reach while tasks were at ComfyUI.
    const comfyDown = new MathExpression({
      label: 'ComfyUI unreachable (dispatch retries + unreachable polls)',
      expression: 'FILL(retries, 0) + FILL(unavailable, 0) + FILL(unreachable, 0)',
      usingMetrics: {
        retries: taskMetric(TASK_METRICS.dispatchRetries),
        unavailable: taskMetric(TASK_METRICS.comfyUnavailable),
        unreachable: taskMetric(TASK_METRICS.comfyServersUnreachable),
      },
      period: FIVE_MINUTES,
    });
    this.alarm('ComfyUnreachable', comfyDown, 0, {
      description:
        'For 10 minutes, dispatches kept failing or the poller could not reach ComfyUI: check the ' +
        'GPU instances (systemctl status comfyui) and their security group.',
      evaluationPeriods: 2,
    });
    // EC2 aggregates the group's instances (detailed monitoring, set in the launch template).
    const statusCheck = new Metric({
      namespace: 'AWS/EC2',
      metricName: 'StatusCheckFailed',
      dimensionsMap: { AutoScalingGroupName: props.gpuGroupName },
      statistic: 'Maximum',
      period: FIVE_MINUTES,
    });
    this.alarm('GpuStatusCheck', statusCheck, 0, {
      description:
        'A ComfyUI GPU instance fails its EC2 status checks (the group replaces it; its tasks are re-queued).',
      evaluationPeriods: 2,
    });
    this.alarm('Api5xx', props.api.metricServerError({ period: FIVE_MINUTES }), 5, {
      description: 'The API answered more than 5 server errors in 5 minutes.',
    });

    this.dashboard = this.buildDashboard(props, dlqVisible, comfyDown);
  }

  private alarm(
    id: string,
    metric: IMetric,
    threshold: number,
    opts: {
      description: string;
      evaluationPeriods?: number;
      comparison?: ComparisonOperator;
      missing?: TreatMissingData;
    },
  ) {
    const alarm = new Alarm(this, id, {
      metric,
      threshold,
      alarmDescription: opts.description,
      evaluationPeriods: opts.evaluationPeriods ?? 1,
      comparisonOperator: opts.comparison ?? ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: opts.missing ?? TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new SnsAction(this.topic));
    alarm.addOkAction(new SnsAction(this.topic));
    this.alarms.push(alarm);
    return alarm;
  }

  private buildDashboard(props: TaskMonitoringProps, dlqVisible: IMetric, comfyDown: IMetric) {
    const m = TASK_METRICS;
    const percentiles = (name: string) =>
      ['p50', 'p90', 'Maximum'].map((stat) =>
        taskMetric(name, stat).with({ label: `${name} ${stat}` }),
      );
    const functions = [props.dispatcher, props.poller, ...props.otherFunctions];
    const dashboard = new Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(6),
    });
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Tasks',
        width: 12,
        left: [m.submitted, m.dispatched, m.completed, m.failed, m.cancelled, m.deadLettered].map(
          (name) => taskMetric(name),
        ),
      }),
      new AlarmStatusWidget({ title: 'Alarms', width: 12, alarms: this.alarms }),
    );
    dashboard.addWidgets(
      new GraphWidget({ title: 'Queue wait (ms)', width: 8, left: percentiles(m.queueWaitMs) }),
      new GraphWidget({ title: 'Run time (ms)', width: 8, left: percentiles(m.runTimeMs) }),
      new GraphWidget({ title: 'Result lag (ms)', width: 8, left: percentiles(m.resultLagMs) }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Dispatch queue',
        width: 8,
        left: [
          props.queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum' }),
          dlqVisible,
        ],
        right: [props.queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum' })],
      }),
      new GraphWidget({
        title: 'Poller lag (s) and ComfyUI unreachable',
        width: 8,
        left: [taskMetric(m.pollerLagSeconds, 'Maximum')],
        right: [comfyDown],
      }),
      new GraphWidget({
        title: 'Function errors and throttles',
        width: 8,
        left: functions.map((fn) => fn.metricErrors({ period: FIVE_MINUTES })),
        right: functions.map((fn) => fn.metricThrottles({ period: FIVE_MINUTES })),
      }),
    );
    const group = (metricName: string) =>
      new Metric({
        namespace: 'AWS/AutoScaling',
        metricName,
        dimensionsMap: { AutoScalingGroupName: props.gpuGroupName },
        statistic: 'Maximum',
        period: Duration.minutes(1),
      });
    const f = FLEET_METRICS;
    const oneMinute = (name: string, statistic = 'Maximum') =>
      taskMetric(name, statistic, Duration.minutes(1)).with({ label: name });
    dashboard.addWidgets(
      new GraphWidget({
        title: 'GPU fleet: instances by state, GPUs wanted; tasks per GPU',
        width: 12,
        left: [
          group('GroupDesiredCapacity'),
          group('GroupInServiceInstances'),
          group('GroupPendingInstances'),
          group('GroupTerminatingInstances'),
          oneMinute(f.desired),
        ],
        right: [oneMinute(f.backlogPerGpu), oneMinute(f.live)],
      }),
      new GraphWidget({
        title: 'Time to capacity (ms) and scale events',
        width: 12,
        left: percentiles(f.gpuWaitMs),
        right: [taskMetric(f.started), taskMetric(f.stopped)],
      }),
    );
    return dashboard;
  }
}
