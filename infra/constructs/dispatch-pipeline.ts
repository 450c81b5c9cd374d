/**
 * Submitted tasks to ComfyUI: the dispatch queue and its dead-letter queue (infra/resources.ts), the
 * dispatcher that consumes the queue in the VPC with partial batch responses and bounded concurrency,
 * and the dead-letter consumer that fails the tasks whose messages ran out of receives
 * (COMFYUI_UNAVAILABLE). The queue lives with its consumer; the tasks table stays the source of truth.
 */
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DISPATCH_DLQ, DISPATCH_QUEUE, DISPATCHER_TIMEOUT_SECONDS } from '../resources.js';
import { type FunctionEnvironment, ServiceFunction } from './service-function.js';
import { createSpecQueue } from './spec-queue.js';

export interface DispatchPipelineProps {
  /** Entry of functions/dispatcher. */
  readonly dispatcherEntry: string;
  /** Entry of functions/dead-letter. */
  readonly deadLetterEntry: string;
  readonly tasksTable: ITable;
  /** Holds uploaded input images and large workflows the dispatcher reads. */
  readonly bucket: IBucket;
  /** Shared configuration; the construct adds DISPATCH_QUEUE_URL. */
  readonly environment: FunctionEnvironment;
  /** The VPC of the ComfyUI instance. */
  readonly vpc: IVpc;
  /** Subnets for the dispatcher. */
  readonly vpcSubnets: SubnetSelection;
  /** The group ComfyUI admits on its port. */
  readonly securityGroup: ISecurityGroup;
  /**
   * Most concurrent dispatcher invocations (SQS event source `maxConcurrency`, at least 2). Keeps a
   * burst of submissions from opening hundreds of connections to one GPU server.
   * @default 2
   */
  readonly maxConcurrency?: number;
  /**
   * Messages per dispatcher invocation.
   * @default 10
   */
  readonly batchSize?: number;
  /**
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

export class DispatchPipeline extends Construct {
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;
  public readonly dispatcher: ServiceFunction;
  public readonly deadLetterConsumer: ServiceFunction;

  constructor(scope: Construct, id: string, props: DispatchPipelineProps) {
    super(scope, id);
    this.deadLetterQueue = createSpecQueue(this, DISPATCH_DLQ);
    this.queue = createSpecQueue(this, DISPATCH_QUEUE, this.deadLetterQueue);
    const environment = { ...props.environment, DISPATCH_QUEUE_URL: this.queue.queueUrl };

    this.dispatcher = new ServiceFunction(this, 'Dispatcher', {
      entry: props.dispatcherEntry,
      description: 'Sends queued tasks to ComfyUI (SQS batch, partial failures)',
      timeout: Duration.seconds(DISPATCHER_TIMEOUT_SECONDS),
      environment,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: [props.securityGroup],
      logRetention: props.logRetention,
    });
    const dispatcher = this.dispatcher.fn;
    props.tasksTable.grantReadWriteData(dispatcher);
    props.bucket.grantRead(dispatcher, 'uploads/*');
    props.bucket.grantRead(dispatcher, 'workflows/*');
    // Backpressure re-sends a fresh, delayed message instead of failing the receive.
    this.queue.grantSendMessages(dispatcher);
    dispatcher.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: props.batchSize ?? 10,
        reportBatchItemFailures: true,
        maxConcurrency: props.maxConcurrency ?? 2,
      }),
    );

    this.deadLetterConsumer = new ServiceFunction(this, 'DeadLetter', {
      entry: props.deadLetterEntry,
      description: 'Fails the tasks whose dispatch messages were dead-lettered',
      environment,
      logRetention: props.logRetention,
    });
    props.tasksTable.grantReadWriteData(this.deadLetterConsumer.fn);
    // The repository reads a large workflow back from S3 when it returns the task it updated.
    props.bucket.grantRead(this.deadLetterConsumer.fn, 'workflows/*');
    this.deadLetterConsumer.fn.addEventSource(
      new SqsEventSource(this.deadLetterQueue, {
        batchSize: 10,
        reportBatchItemFailures: true,
        maxConcurrency: 2,
      }),
    );
  }
}
