/**
 * The poller: an EventBridge schedule starts it every minute; each run polls ComfyUI's /queue and
 * /history for the tasks at ComfyUI for up to POLLER_RUN_MS, copies finished outputs from /view into
 * S3, and re-queues tasks ComfyUI lost. A lease item in the tasks table keeps runs from overlapping;
 * reserved concurrency 1 can enforce it a second time.
 */
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { keys } from '../resources.js';
import { type FunctionEnvironment, ServiceFunction } from './service-function.js';

/** How long one run keeps polling; the function's timeout adds a margin to finish copies. */
const POLLER_RUN_SECONDS = 55;
const POLLER_TIMEOUT_SECONDS = 90;

export interface TaskPollerProps {
  /** Entry of functions/poller. */
  readonly entry: string;
  readonly tasksTable: ITable;
  /** Receives the outputs under `outputs/`. */
  readonly bucket: IBucket;
  /** Lost tasks are re-queued here. */
  readonly queue: IQueue;
  /** Shared configuration (table, bucket, queue, ComfyUI URLs). */
  readonly environment: FunctionEnvironment;
  readonly vpc: IVpc;
  readonly vpcSubnets: SubnetSelection;
  /** The group ComfyUI admits on its port. */
  readonly securityGroup: ISecurityGroup;
  /**
   * Reserve (and cap) the poller's concurrency at 1. Accounts with the default concurrency quota of
   * 10 cannot reserve any: deployment fails there, so this is opt-in; the lease already serialises
   * runs.
   * @default false
   */
  readonly reserveConcurrency?: boolean;
  /**
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

export class TaskPoller extends Construct {
  public readonly poller: ServiceFunction;
  public readonly schedule: Rule;

  constructor(scope: Construct, id: string, props: TaskPollerProps) {
    super(scope, id);
    this.poller = new ServiceFunction(this, 'Poller', {
      entry: props.entry,
      description: 'Polls ComfyUI for task progress and copies outputs to S3 (every minute)',
      timeout: Duration.seconds(POLLER_TIMEOUT_SECONDS),
      // More memory is more CPU and network for streaming outputs from ComfyUI to S3.
      memorySize: 1024,
      // sharp converts outputs to the format a task asks for (webp, jpeg, png).
      nativeModules: ['sharp'],
      environment: { POLLER_RUN_MS: String(POLLER_RUN_SECONDS * 1000), ...props.environment },
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: [props.securityGroup],
      reservedConcurrentExecutions: props.reserveConcurrency ? 1 : undefined,
      logRetention: props.logRetention,
    });
    const fn = this.poller.fn;
    props.tasksTable.grantReadWriteData(fn);
    props.bucket.grantRead(fn, 'outputs/*'); // an output already copied is not copied again (HEAD)
    props.bucket.grantPut(fn, 'outputs/*');
    props.bucket.grantRead(fn, 'workflows/*'); // reading a large-workflow task
    props.bucket.grantRead(fn, keys.catalog); // publishing the servers' node catalogue
    props.bucket.grantPut(fn, keys.catalog);
    props.queue.grantSendMessages(fn);

    this.schedule = new Rule(this, 'Schedule', {
      description: 'Starts the comfy-serverless poller',
      schedule: Schedule.rate(Duration.minutes(1)),
      targets: [
        // A missed run is not retried: the next one starts within the minute anyway.
        new LambdaFunction(fn, { retryAttempts: 0, maxEventAge: Duration.minutes(1) }),
      ],
    });
  }
}
