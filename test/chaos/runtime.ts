/**
 * The local runtime, assembled in process for the chaos run from the same pieces `npm start` uses:
 * the local API server (API Gateway routing + the Lambda authorizer), the SQS event source mapping
 * for the dispatcher and the dead-letter consumer, and the poller's schedule, each invoking the
 * real handler factories with the real adapters. Two things differ, on purpose:
 * - the workers (dispatcher, dead-letter, pollers) get their own SDK clients, so S3 write faults can
 *   be injected into them alone (the API keeps clean clients: the chaos is in the pipeline);
 * - there are two pollers: one with the DynamoDB lease, one whose lease always grants, so both
 *   really poll at once (the lease is an optimisation, every task write must be safe without it).
 */
import { createHandler as createAuthorizer } from '../../functions/authorizer/handler.js';
import { createHandler as createCancel } from '../../functions/cancel/handler.js';
import { createHandler as createUpload } from '../../functions/create-upload/handler.js';
import { createHandler as createDeadLetter } from '../../functions/dead-letter/handler.js';
import {
  createHandler as createDispatcher,
  settingsFromConfig,
} from '../../functions/dispatcher/handler.js';
import { createHandler as createList } from '../../functions/list/handler.js';
import { createHandler as createPoller } from '../../functions/poller/handler.js';
import { createHandler as createStatus } from '../../functions/status/handler.js';
import { createHandler as createSubmit } from '../../functions/submit/handler.js';
import { createHandler as createTemplates } from '../../functions/templates/handler.js';
import { lambdaAuthorizer } from '../../infra/local/api/authorizers.js';
import { startApiServer } from '../../infra/local/api-server.js';
import type { LocalResourceNames } from '../../infra/local/bootstrap.js';
import { FUNCTION_TIMEOUT_MS } from '../../infra/local/runtime/functions.js';
import type { LocalFunction } from '../../infra/local/runtime/invoke.js';
import { startSchedule } from '../../infra/local/schedule.js';
import { startSqsEventSource } from '../../infra/local/sqs-event-source.js';
import { API_KEY_AUTHORIZER, API_ROUTES } from '../../infra/routes.js';
import type { AwsClients } from '../../shared/adapters/aws/clients.js';
import { comfyClientsFromConfig } from '../../shared/adapters/comfyui/from-config.js';
import { DynamoPollerLease } from '../../shared/adapters/dynamodb/poller-lease.js';
import { DynamoTaskRepository } from '../../shared/adapters/dynamodb/task-repository.js';
import { S3ArtifactStore } from '../../shared/adapters/s3/artifact-store.js';
import { SqsMessageVisibility } from '../../shared/adapters/sqs/message-visibility.js';
import { SqsTaskQueue } from '../../shared/adapters/sqs/task-queue.js';
import { buildApiDeps, buildAuthorizerDeps } from '../../shared/composition/api.js';
import type { Config } from '../../shared/config.js';
import type { Task } from '../../shared/domain/task.js';
import { createLimiter } from '../../shared/limiter.js';
import { metrics } from '../../shared/observability.js';
import { loopSettings, pollSettings, sweepSettings } from '../../shared/poller/settings.js';
import { systemClock } from '../../shared/ports/clock.js';
import type { ComfyClient } from '../../shared/ports/comfy-client.js';
import type { PollerLease } from '../../shared/ports/poller-lease.js';
import { createQueuedSweeper } from '../../shared/use-cases/sweep-queued.js';
import { duplicatingDispatcher, type SqsDuplicates } from './faults/sqs-duplicates.js';

export interface ChaosRuntimeOptions {
  config: Config;
  names: LocalResourceNames;
  apiClients: AwsClients;
  workerClients: AwsClients;
  duplicateRate: number;
  random: () => number;
  /** Receive visibility of the dispatch queue (short, so failed batches come back soon). */
  visibilitySeconds: number;
  /** The API's port (0: any; a restart after a crash passes the first one's). */
  apiPort?: number;
  /** The submit use-case's fault-injection point (see faults/submit-kills.ts). */
  afterStore?: (task: Task) => Promise<void>;
  onError(where: string, err: unknown): void;
}

export interface ChaosRuntime {
  apiUrl: string;
  duplicates: SqsDuplicates;
  invocations(): { pollerA: number; pollerB: number };
  stop(): Promise<void>;
  /**
   * Stop at once, as a process killed with `kill -9` does: no invocation is waited for (they are
   * abandoned; in process they run on, but their results are dropped).
   */
  crash(): Promise<void>;
}

/** A lease that always grants: the second poller polls whatever the first one holds. */
const noLease: PollerLease = {
  acquire: async () => ({ acquired: true }),
  renew: async () => true,
  release: async () => {},
};

const local = (name: string, handler: LocalFunction['handler'], timeoutMs?: number) => ({
  name,
  handler,
  timeoutMs: timeoutMs ?? FUNCTION_TIMEOUT_MS[name] ?? 30_000,
});

export async function startChaosRuntime(o: ChaosRuntimeOptions): Promise<ChaosRuntime> {
  const { config, names } = o;
  const region = config.AWS_REGION;
  const api = { apiId: 'local', stage: '$default', region };

  // The API, as index.ts wires it.
  const apiDeps = buildApiDeps(config, o.apiClients);
  const functions = new Map<string, LocalFunction>([
    [
      'submit',
      local(
        'submit',
        createSubmit(o.afterStore ? { ...apiDeps, afterStore: o.afterStore } : apiDeps),
      ),
    ],
    ['status', local('status', createStatus(apiDeps))],
    ['list', local('list', createList(apiDeps))],
    ['cancel', local('cancel', createCancel(apiDeps))],
    ['templates', local('templates', createTemplates(apiDeps))],
    ['create-upload', local('create-upload', createUpload(apiDeps))],
  ]);
  const authorizer = lambdaAuthorizer({
    fn: local('authorizer', createAuthorizer(buildAuthorizerDeps(config, o.apiClients))),
    identitySource: API_KEY_AUTHORIZER.identitySource,
    cacheTtlSeconds: API_KEY_AUTHORIZER.resultsCacheTtlSeconds,
    api,
    onError: (err) => o.onError('authorizer', err),
  });

  // The workers, as their index.ts files wire them, on the fault-injected clients.
  const w = o.workerClients;
  const artifacts = new S3ArtifactStore({ client: w.s3, bucket: config.OUTPUTS_BUCKET_NAME });
  const tasks = new DynamoTaskRepository({
    client: w.doc,
    tableName: config.TASKS_TABLE_NAME,
    retentionDays: config.TASK_RETENTION_DAYS,
    workflowStore: artifacts,
  });
  const queue = new SqsTaskQueue({ client: w.sqs, queueUrl: config.DISPATCH_QUEUE_URL });
  const comfy = comfyClientsFromConfig(config);
  const comfyByUrl = new Map<string, ComfyClient>(comfy.map((c) => [c.baseUrl, c]));
  const dispatcher = local(
    'dispatcher',
    createDispatcher({
      tasks,
      artifacts,
      comfy,
      queue,
      visibility: new SqsMessageVisibility({ client: w.sqs, queueUrl: config.DISPATCH_QUEUE_URL }),
      clock: systemClock,
      settings: settingsFromConfig(config),
      metrics,
      random: o.random,
    }),
  );
  const deadLetter = local('dead-letter', createDeadLetter({ tasks, clock: systemClock, metrics }));
  const { everyMs, ...sweep } = sweepSettings(config);
  const poller = (lease: PollerLease, name: string, sweeps: boolean) =>
    local(
      name,
      createPoller({
        ...(sweeps
          ? {
              sweepQueued: createQueuedSweeper(
                { tasks, queue, clock: systemClock, settings: sweep },
                everyMs,
              ),
            }
          : {}),
        tasks,
        queue,
        artifacts,
        comfyFor: (url) => {
          const c = comfyByUrl.get(url);
          if (!c) throw new Error(`no ComfyUI client for ${url}`);
          return c;
        },
        clock: systemClock,
        limiter: createLimiter(config.POLLER_COPY_CONCURRENCY),
        settings: pollSettings(config),
        lease,
        loop: loopSettings(config),
        metrics,
      }),
      FUNCTION_TIMEOUT_MS.poller,
    );

  const dup = duplicatingDispatcher(dispatcher, {
    sqs: w.sqs,
    queueUrl: names.queueUrl,
    rate: o.duplicateRate,
    random: o.random,
  });
  const dispatchSource = startSqsEventSource({
    sqs: o.apiClients.sqs,
    queueUrl: names.queueUrl,
    queueArn: names.queueArn,
    fn: dup.fn,
    region,
    batchSize: 10,
    waitTimeSeconds: 1,
    visibilityTimeoutSeconds: o.visibilitySeconds,
    maxConcurrency: 3,
    onError: (err, where) => o.onError(where, err),
  });
  const deadLetterSource = startSqsEventSource({
    sqs: o.apiClients.sqs,
    queueUrl: names.dlqUrl,
    queueArn: names.dlqArn,
    fn: deadLetter,
    region,
    batchSize: 10,
    waitTimeSeconds: 1,
    visibilityTimeoutSeconds: o.visibilitySeconds,
    maxConcurrency: 1,
    onError: (err, where) => o.onError(where, err),
  });
  const pollerA = startSchedule({
    fn: poller(
      new DynamoPollerLease({ doc: w.doc, tableName: config.TASKS_TABLE_NAME, clock: systemClock }),
      'poller',
      true,
    ),
    region,
    repeatAfterMs: 200,
    ruleName: 'poller-a',
    onInvocation: ({ error }) => error && o.onError('poller A', error),
  });
  const pollerB = startSchedule({
    fn: poller(noLease, 'poller', false),
    region,
    repeatAfterMs: 300,
    ruleName: 'poller-b',
    onInvocation: ({ error }) => error && o.onError('poller B', error),
  });
  const server = await startApiServer({
    port: o.apiPort ?? 0,
    routes: API_ROUTES,
    functions,
    api,
    authorizer,
    onError: (err, where) => o.onError(`api ${where}`, err),
  });

  return {
    apiUrl: server.url,
    duplicates: dup.stats,
    invocations: () => ({ pollerA: pollerA.invocations, pollerB: pollerB.invocations }),
    async stop() {
      await server.close();
      await Promise.all([
        dispatchSource.stop(10_000),
        deadLetterSource.stop(10_000),
        pollerA.stop(10_000),
        pollerB.stop(10_000),
      ]);
      await Promise.all(comfy.map((c) => c.close()));
    },
    async crash() {
      await server.close();
      await Promise.all([
        dispatchSource.stop(0),
        deadLetterSource.stop(0),
        pollerA.stop(0),
        pollerB.stop(0),
      ]);
    },
  };
}
