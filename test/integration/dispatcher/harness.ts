/**
 * The dispatcher wired for real: DynamoDB Local, fauxqs (SQS + S3) and ComfyUI stand-ins over HTTP.
 * `deliver()` plays Lambda's event source mapping for one batch: ReceiveMessage, the handler with an
 * SQSEvent built from what SQS returned, then DeleteMessageBatch of the records the handler did not
 * report failed, so partial batch responses are exercised for real.
 */
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type QueueAttributeName,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { createHandler, settingsFromConfig } from '../../../functions/dispatcher/handler.js';
import {
  type ComfyStandIn,
  type StandInOptions,
  startComfyStandIn,
} from '../../../infra/local/comfy-standin/index.js';
import { createLambdaContext } from '../../../infra/local/runtime/lambda-context.js';
import { toSqsRecord } from '../../../infra/local/sqs-event-source.js';
import { createAwsClients } from '../../../shared/adapters/aws/clients.js';
import { RequestCounter } from '../../../shared/adapters/aws/request-counter.js';
import { HttpComfyClient } from '../../../shared/adapters/comfyui/http-comfy-client.js';
import { DynamoTaskRepository } from '../../../shared/adapters/dynamodb/task-repository.js';
import { S3ArtifactStore } from '../../../shared/adapters/s3/artifact-store.js';
import { SqsMessageVisibility } from '../../../shared/adapters/sqs/message-visibility.js';
import { SqsTaskQueue } from '../../../shared/adapters/sqs/task-queue.js';
import type { Task } from '../../../shared/domain/task.js';
import { systemClock } from '../../../shared/ports/clock.js';
import { aTask } from '../../fakes/tasks.js';
import { createTestStack, type TestStack } from '../../helpers/stack.js';
import { emptyToSave } from '../comfyui/workflows.js';

export interface HarnessOptions {
  /** Stand-ins to start (each one a server of the pool). @default 1 */
  servers?: number;
  standIn?: StandInOptions;
  /** Config overrides (env names), e.g. `{ MAX_IN_FLIGHT: '1' }`. */
  env?: Record<string, string>;
  /**
   * Dispatch from a fresh queue whose redrive moves a message to the stack's dead-letter queue after
   * this many receives (the stack's own queue allows 5).
   */
  maxReceiveCount?: number;
  /**
   * Runs just before each of the dispatcher's task writes but its dispatch claim (to play a writer
   * racing the record of a submission).
   */
  beforeUpdate?: (taskId: string) => Promise<void>;
}

/** The DynamoDB repository, with a hook before each update but the dispatch claim. */
class HookedTasks extends DynamoTaskRepository {
  beforeUpdate?: (taskId: string) => Promise<void>;
  override async update(...args: Parameters<DynamoTaskRepository['update']>) {
    if (args[2].dispatchClaimUntil === undefined) await this.beforeUpdate?.(args[0]);
    return super.update(...args);
  }
}

/** Defaults that keep tests fast: retries come back at once, no waiting for slots. */
const TEST_ENV: Record<string, string> = {
  DISPATCH_RETRY_BASE_SECONDS: '0',
  DISPATCH_RETRY_MAX_SECONDS: '0',
  DISPATCH_HOLD_MS: '0',
};

export async function startHarness(options: HarnessOptions = {}) {
  const stack = await createTestStack();
  const standIns: ComfyStandIn[] = [];
  for (let i = 0; i < (options.servers ?? 1); i++) {
    standIns.push(await startComfyStandIn({ executionMs: 20, ...options.standIn }));
  }
  const config = stack.config({
    ...TEST_ENV,
    COMFYUI_URLS: standIns.map((s) => s.url).join(','),
    ...options.env,
  });
  const queueUrl =
    options.maxReceiveCount === undefined
      ? stack.names.queueUrl
      : await createQueue(stack, options.maxReceiveCount);
  const counter = new RequestCounter();
  counter.attach(stack.clients.dynamodb).attach(stack.clients.sqs).attach(stack.clients.s3);
  const artifacts = new S3ArtifactStore({ client: stack.clients.s3, bucket: stack.names.bucket });
  const tasks = new HookedTasks({
    client: stack.clients.doc,
    tableName: stack.names.tasksTable,
    workflowStore: artifacts,
  });
  const queue = new SqsTaskQueue({ client: stack.clients.sqs, queueUrl });
  // The test's own reads go through clients the counter does not see.
  const observer = createAwsClients({
    region: 'us-east-1',
    dynamodbEndpoint: stack.endpoints.dynamodb,
    s3Endpoint: stack.endpoints.s3,
  });
  const observed = new DynamoTaskRepository({
    client: observer.doc,
    tableName: stack.names.tasksTable,
    workflowStore: new S3ArtifactStore({ client: observer.s3, bucket: stack.names.bucket }),
  });
  if (options.beforeUpdate) tasks.beforeUpdate = options.beforeUpdate;
  const comfy = standIns.map((s) =>
    HttpComfyClient.create({ baseUrl: s.url, retry: { retries: 0 }, connectTimeout: 1000 }),
  );
  const metrics: string[] = [];
  const handler = createHandler({
    tasks,
    artifacts,
    queue,
    visibility: new SqsMessageVisibility({ client: stack.clients.sqs, queueUrl }),
    comfy,
    clock: systemClock,
    settings: settingsFromConfig(config),
    metrics: { addMetric: (name) => void metrics.push(name), publishStoredMetrics: () => {} },
  });

  /** Store a queued task and send its dispatch message, as submit does. */
  async function submit(overrides: Partial<Task> = {}): Promise<Task> {
    const { task } = await tasks.create(aTask({ workflow: emptyToSave('out', 7), ...overrides }));
    await queue.send({ taskId: task.taskId });
    return task;
  }

  /** Receive one batch from `url` (waiting up to `waitSeconds`), as SQSRecords. */
  async function receive(url = queueUrl, waitSeconds = 2, max = 10): Promise<SQSRecord[]> {
    const out = await stack.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: max,
        WaitTimeSeconds: waitSeconds,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const arn = url === stack.names.dlqUrl ? stack.names.dlqArn : 'arn:aws:sqs:us-east-1:0:q';
    return (out.Messages ?? []).map((m) => toSqsRecord(m, arn, 'us-east-1'));
  }

  /** One event-source-mapping round: receive, invoke, delete what succeeded. */
  async function deliver(
    opts: { waitSeconds?: number; records?: SQSRecord[]; timeoutMs?: number } = {},
  ): Promise<{ records: SQSRecord[]; response: SQSBatchResponse }> {
    const records = opts.records ?? (await receive(queueUrl, opts.waitSeconds ?? 2));
    if (records.length === 0) return { records, response: { batchItemFailures: [] } };
    const context = createLambdaContext({
      functionName: 'dispatcher',
      timeoutMs: opts.timeoutMs ?? 30_000,
      region: 'us-east-1',
    });
    const response = await handler({ Records: records }, context);
    const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    const done = records.filter((r) => !failed.has(r.messageId));
    if (done.length) {
      await stack.clients.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: done.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
        }),
      );
    }
    return { records, response };
  }

  /** Queue depth: visible, in flight, and delayed. */
  async function depth(url = queueUrl) {
    const out = await stack.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }),
    );
    const n = (k: QueueAttributeName) => Number(out.Attributes?.[k] ?? 0);
    return {
      visible: n('ApproximateNumberOfMessages'),
      inFlight: n('ApproximateNumberOfMessagesNotVisible'),
      delayed: n('ApproximateNumberOfMessagesDelayed'),
    };
  }

  /** Wait until ComfyUI has finished every run it holds. */
  async function drainComfy(i = 0, timeoutMs = 10_000) {
    const client = comfy[i];
    if (!client) throw new Error(`no server ${i}`);
    const until = Date.now() + timeoutMs;
    for (;;) {
      const q = await client.getQueue();
      if (q.running.length === 0 && q.pending.length === 0) return;
      if (Date.now() > until) throw new Error('ComfyUI did not drain');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** The task as stored (read without being counted). */
  const task = async (taskId: string) => {
    const t = await observed.get(taskId);
    if (!t) throw new Error(`task ${taskId} is gone`);
    return t;
  };

  return {
    stack,
    config,
    /** A repository on clients the counter does not see (for the test's own writes and reads). */
    observed,
    standIns,
    comfy,
    tasks,
    artifacts,
    queue,
    queueUrl,
    handler,
    metrics,
    counter,
    submit,
    receive,
    deliver,
    depth,
    drainComfy,
    task,
    async close() {
      await Promise.all(comfy.map((c) => c.close()));
      await Promise.all(standIns.map((s) => s.stop()));
    },
  };
}

export type Harness = Awaited<ReturnType<typeof startHarness>>;

async function createQueue(stack: TestStack, maxReceiveCount: number): Promise<string> {
  const out = await stack.clients.sqs.send(
    new CreateQueueCommand({
      QueueName: `dispatch-small-${Math.random().toString(16).slice(2, 10)}`,
      Attributes: {
        VisibilityTimeout: '60',
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: stack.names.dlqArn, maxReceiveCount }),
      },
    }),
  );
  if (!out.QueueUrl) throw new Error('CreateQueue returned no URL');
  return out.QueueUrl;
}
