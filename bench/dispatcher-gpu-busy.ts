/**
 * How busy the dispatcher keeps one ComfyUI (the stand-in, one worker): N tasks submitted at once,
 * the real dispatcher handler behind the local SQS event source mapping (batches of 10, 2 at a time,
 * as deployed), emulators for DynamoDB/SQS/S3. Prints one JSON line per figure: GPU busy fraction
 * (stand-in run time / span from first start to last end), deferrals and AWS requests per task.
 * No poller: runs end at the stand-in; only dispatching is measured.
 *
 *   npx tsx bench/dispatcher-gpu-busy.ts [tasks=100] [executionMs=500] [DISPATCH_HOLD_MS=20000]
 */
import { randomBytes } from 'node:crypto';
import { createHandler, settingsFromConfig } from '../functions/dispatcher/handler.js';
import { bootstrapLocalResources } from '../infra/local/bootstrap.js';
import { startComfyStandIn } from '../infra/local/comfy-standin/index.js';
import { startDynamoLocal, startS3Sqs } from '../infra/local/emulators.js';
import { startSqsEventSource } from '../infra/local/sqs-event-source.js';
import { createAwsClients } from '../shared/adapters/aws/clients.js';
import { RequestCounter } from '../shared/adapters/aws/request-counter.js';
import { HttpComfyClient } from '../shared/adapters/comfyui/http-comfy-client.js';
import { DynamoTaskRepository } from '../shared/adapters/dynamodb/task-repository.js';
import { S3ArtifactStore } from '../shared/adapters/s3/artifact-store.js';
import { SqsMessageVisibility } from '../shared/adapters/sqs/message-visibility.js';
import { SqsTaskQueue } from '../shared/adapters/sqs/task-queue.js';
import { loadConfig } from '../shared/config.js';
import { logger } from '../shared/observability.js';
import { systemClock } from '../shared/ports/clock.js';
import { aTask } from '../test/fakes/tasks.js';

const [tasksArg = '100', execArg = '500', holdArg = '20000'] = process.argv.slice(2);
const N = Number(tasksArg);
logger.setLogLevel('SILENT');

const [ddb, aws] = await Promise.all([startDynamoLocal(), startS3Sqs()]);
const comfy = await startComfyStandIn({ executionMs: Number(execArg) });
try {
  const clients = createAwsClients({
    region: 'us-east-1',
    dynamodbEndpoint: ddb.endpoint,
    sqsEndpoint: aws.endpoint,
    s3Endpoint: aws.endpoint,
  });
  const names = await bootstrapLocalResources(clients, `-${randomBytes(3).toString('hex')}`);
  const config = loadConfig({
    TASKS_TABLE_NAME: names.tasksTable,
    API_KEYS_TABLE_NAME: names.apiKeysTable,
    OUTPUTS_BUCKET_NAME: names.bucket,
    DISPATCH_QUEUE_URL: names.queueUrl,
    COMFYUI_URLS: comfy.url,
    DISPATCH_HOLD_MS: holdArg,
  });
  const artifacts = new S3ArtifactStore({ client: clients.s3, bucket: names.bucket });
  const tasks = new DynamoTaskRepository({
    client: clients.doc,
    tableName: names.tasksTable,
    workflowStore: artifacts,
  });
  const queue = new SqsTaskQueue({ client: clients.sqs, queueUrl: names.queueUrl });
  const deferrals: string[] = [];
  const handler = createHandler({
    tasks,
    artifacts,
    queue,
    visibility: new SqsMessageVisibility({ client: clients.sqs, queueUrl: names.queueUrl }),
    comfy: [HttpComfyClient.create({ baseUrl: comfy.url })],
    clock: systemClock,
    settings: settingsFromConfig(config),
    metrics: {
      addMetric: (name) => void (name === 'DispatchDeferred' && deferrals.push(name)),
      publishStoredMetrics: () => {},
    },
  });

  for (let i = 0; i < N; i++) {
    const workflow = {
      '1': { class_type: 'EmptyImage', inputs: { width: 8, height: 8, batch_size: 1, color: i } },
      '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'b' } },
    };
    const { task } = await tasks.create(aTask({ workflow }));
    await queue.send({ taskId: task.taskId });
  }
  // Count from here: what the dispatch step costs (the event source's receives and deletes too).
  const counter = new RequestCounter();
  counter.attach(clients.dynamodb).attach(clients.sqs).attach(clients.s3);
  const source = startSqsEventSource({
    sqs: clients.sqs,
    queueUrl: names.queueUrl,
    queueArn: names.queueArn,
    fn: { name: 'dispatcher', handler: handler as never, timeoutMs: 30_000 },
    region: 'us-east-1',
    batchSize: 10,
    maxConcurrency: 2,
    waitTimeSeconds: 20,
  });
  const deadline = Date.now() + N * Number(execArg) * 3 + 60_000;
  while (comfy.control.runs().filter((r) => r.finishedAt).length < N && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
  }
  await source.stop(35_000);

  const runs = comfy.control.runs().filter((r) => r.finishedAt !== undefined);
  const busy = runs.reduce((s, r) => s + ((r.finishedAt ?? 0) - r.startedAt), 0);
  const first = Math.min(...runs.map((r) => r.startedAt));
  const last = Math.max(...runs.map((r) => r.finishedAt ?? 0));
  const emit = (metric: string, value: number, unit: string) =>
    console.log(
      JSON.stringify({
        metric,
        value,
        unit,
        tasks: N,
        executionMs: Number(execArg),
        holdMs: Number(holdArg),
      }),
    );
  emit('dispatch_gpu_busy_fraction', +(busy / (last - first)).toFixed(4), 'ratio');
  emit('dispatch_runs_finished', runs.length, 'count');
  emit('dispatch_deferrals_per_task', +(deferrals.length / N).toFixed(2), 'count');
  emit('dispatch_aws_requests_per_task', +(counter.total() / N).toFixed(2), 'count');
  for (const c of counter.snapshot()) {
    emit(`dispatch_aws_${c.service}_${c.operation}_per_task`, +(c.calls / N).toFixed(2), 'count');
  }
} finally {
  await comfy.stop();
  await Promise.all([ddb.stop(), aws.stop()]);
}
