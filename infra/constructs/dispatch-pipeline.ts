/**
 * Submitted tasks to ComfyUI, and task events to webhook subscribers: the dispatch queue, the
 * webhook queue and their dead-letter queues (shared/resources.ts), and a function for each manifest
 * with an SQS trigger on one of them (functions/dispatcher consumes the dispatch queue in the VPC;
 * functions/dead-letter fails the tasks whose messages ran out of receives; functions/webhook-sender
 * delivers webhook events, outside the VPC), with partial batch responses and the batch size and
 * concurrency of its manifest. Each queue lives with its consumer; the tasks table stays the source
 * of truth.
 */
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { FunctionManifest } from '../../shared/manifest.js';
import {
  DISPATCH_DLQ,
  DISPATCH_QUEUE,
  type QueueName,
  WEBHOOK_DLQ,
  WEBHOOK_QUEUE,
} from '../../shared/resources.js';
import {
  createManifestFunction,
  type FunctionResources,
  type ManifestFunctionProps,
} from './manifest-function.js';
import type { FunctionEnvironment, ServiceFunction } from './service-function.js';
import { createSpecQueue } from './spec-queue.js';

export interface DispatchPipelineProps {
  /** The functions with an SQS trigger on one of the queues. */
  readonly consumers: readonly FunctionManifest[];
  /** The tables and buckets (the queues are this construct's). */
  readonly resources: Omit<FunctionResources, 'queues'>;
  /** Deployment-supplied config (each function gets what its manifest reads). */
  readonly environment: FunctionEnvironment;
  /** The ComfyUI VPC, for consumers that run in it. */
  readonly network: ManifestFunctionProps['network'];
  /**
   * Most concurrent invocations of the dispatch queue's consumer (at least 2).
   * @default - its manifest's maxConcurrency
   */
  readonly maxConcurrency?: number;
  /**
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /** @default functions/<name>/index.ts */
  readonly entry?: (name: string) => string;
}

export class DispatchPipeline extends Construct {
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;
  /** Webhook events, to the webhook sender. */
  public readonly webhookQueue: Queue;
  /** Webhook events whose retries ran out. */
  public readonly webhookDeadLetterQueue: Queue;
  /** Every queue, by the name manifests use. */
  public readonly queues: Readonly<Record<QueueName, Queue>>;
  /** The consumers by function name. */
  public readonly consumers = new Map<string, ServiceFunction>();

  constructor(scope: Construct, id: string, props: DispatchPipelineProps) {
    super(scope, id);
    this.deadLetterQueue = createSpecQueue(this, DISPATCH_DLQ);
    this.queue = createSpecQueue(this, DISPATCH_QUEUE, this.deadLetterQueue);
    this.webhookDeadLetterQueue = createSpecQueue(this, WEBHOOK_DLQ);
    this.webhookQueue = createSpecQueue(this, WEBHOOK_QUEUE, this.webhookDeadLetterQueue);
    const queues: Record<QueueName, Queue> = {
      dispatch: this.queue,
      dispatchDeadLetter: this.deadLetterQueue,
      webhook: this.webhookQueue,
      webhookDeadLetter: this.webhookDeadLetterQueue,
    };
    this.queues = queues;
    for (const manifest of props.consumers) {
      const { trigger } = manifest;
      if (trigger.kind !== 'sqs') throw new Error(`${manifest.name} has no SQS trigger`);
      const created = createManifestFunction(this, pascal(manifest.name), {
        manifest,
        resources: { ...props.resources, queues },
        environment: props.environment,
        network: props.network,
        logRetention: props.logRetention,
        entry: props.entry,
      });
      created.fn.addEventSource(
        new SqsEventSource(queues[trigger.queue], {
          batchSize: trigger.batchSize,
          reportBatchItemFailures: true,
          maxConcurrency:
            trigger.queue === 'dispatch'
              ? (props.maxConcurrency ?? trigger.maxConcurrency)
              : trigger.maxConcurrency,
        }),
      );
      this.consumers.set(manifest.name, created);
    }
  }

  /** The consumer named `name`, or an error. */
  consumer(name: string): ServiceFunction {
    const fn = this.consumers.get(name);
    if (!fn) throw new Error(`no consumer named ${name}`);
    return fn;
  }
}

const pascal = (name: string) =>
  name.replace(/(^|-)([a-z])/g, (_m, _dash, c: string) => c.toUpperCase());
