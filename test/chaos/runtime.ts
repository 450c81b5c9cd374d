/**
 * The local runtime, assembled in process for the chaos run from the same pieces `npm start` uses:
 * the local API server (API Gateway routing + the Lambda authorizer), the SQS event source mappings
 * of the dispatcher, the dead-letter consumer and the webhook sender, and the poller's schedule, each invoking the
 * real handler factory with the dependencies its deps.ts builds, from the variables its manifest
 * lists, as its index.ts does in Lambda. What differs, on purpose:
 * - the workers (dispatcher, dead-letter, pollers, webhook sender) get their own SDK clients, so S3 write faults can
 *   be injected into them alone (the API keeps clean clients: the chaos is in the pipeline);
 * - there are two pollers: one with the DynamoDB lease, one whose lease always grants, so both
 *   really poll at once (the lease is an optimisation, every task write must be safe without it);
 * - the event sources poll with short waits and visibility, and the dispatcher's runs one more
 *   batch at once than deployed;
 * - SQS delivers some dispatch and webhook messages twice (faults/sqs-duplicates.ts).
 */
import { buildDeps as authorizerDeps } from '../../functions/authorizer/deps.js';
import { createHandler as createAuthorizer } from '../../functions/authorizer/handler.js';
import { manifest as authorizerManifest } from '../../functions/authorizer/manifest.js';
import { buildDeps as cancelDeps } from '../../functions/cancel/deps.js';
import { createHandler as createCancel } from '../../functions/cancel/handler.js';
import { manifest as cancelManifest } from '../../functions/cancel/manifest.js';
import { buildDeps as uploadDeps } from '../../functions/create-upload/deps.js';
import { createHandler as createUpload } from '../../functions/create-upload/handler.js';
import { manifest as uploadManifest } from '../../functions/create-upload/manifest.js';
import { buildDeps as deadLetterDeps } from '../../functions/dead-letter/deps.js';
import { createHandler as createDeadLetter } from '../../functions/dead-letter/handler.js';
import { manifest as deadLetterManifest } from '../../functions/dead-letter/manifest.js';
import { buildDeps as dispatcherDeps } from '../../functions/dispatcher/deps.js';
import { createHandler as createDispatcher } from '../../functions/dispatcher/handler.js';
import { manifest as dispatcherManifest } from '../../functions/dispatcher/manifest.js';
import { buildDeps as listDeps } from '../../functions/list/deps.js';
import { createHandler as createList } from '../../functions/list/handler.js';
import { manifest as listManifest } from '../../functions/list/manifest.js';
import { API_KEY_AUTHORIZER, API_ROUTES, FUNCTIONS } from '../../functions/manifests.js';
import { buildDeps as modelsDeps } from '../../functions/models/deps.js';
import { createHandler as createModels } from '../../functions/models/handler.js';
import { manifest as modelsManifest } from '../../functions/models/manifest.js';
import { buildDeps as pollerDeps } from '../../functions/poller/deps.js';
import { createHandler as createPoller } from '../../functions/poller/handler.js';
import { manifest as pollerManifest } from '../../functions/poller/manifest.js';
import { buildDeps as statusDeps } from '../../functions/status/deps.js';
import { createHandler as createStatus } from '../../functions/status/handler.js';
import { manifest as statusManifest } from '../../functions/status/manifest.js';
import { buildDeps as submitDeps } from '../../functions/submit/deps.js';
import { createHandler as createSubmit } from '../../functions/submit/handler.js';
import { manifest as submitManifest } from '../../functions/submit/manifest.js';
import { buildDeps as templatesDeps } from '../../functions/templates/deps.js';
import { createHandler as createTemplates } from '../../functions/templates/handler.js';
import { manifest as templatesManifest } from '../../functions/templates/manifest.js';
import { buildDeps as webhookSenderDeps } from '../../functions/webhook-sender/deps.js';
import { createHandler as createWebhookSender } from '../../functions/webhook-sender/handler.js';
import { manifest as webhookSenderManifest } from '../../functions/webhook-sender/manifest.js';
import { lambdaAuthorizer } from '../../infra/local/api/authorizers.js';
import { startApiServer } from '../../infra/local/api-server.js';
import type { LocalResourceNames } from '../../infra/local/bootstrap.js';
import { localFunction } from '../../infra/local/runtime/functions.js';
import { startSchedule } from '../../infra/local/schedule.js';
import { startSqsEventSource } from '../../infra/local/sqs-event-source.js';
import type { AwsClients } from '../../shared/adapters/aws/clients.js';
import type { Config } from '../../shared/config.js';
import type { Task } from '../../shared/domain/task.js';
import type { FunctionManifest } from '../../shared/manifest.js';
import type { PollerLease } from '../../shared/ports/poller-lease.js';
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
  webhookDuplicates: SqsDuplicates;
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

/** The batch size and concurrency of a manifest's SQS trigger. */
function sqsTrigger(manifest: FunctionManifest): { batchSize: number; maxConcurrency: number } {
  const { trigger } = manifest;
  if (trigger.kind !== 'sqs') throw new Error(`${manifest.name} has no SQS trigger`);
  return { batchSize: trigger.batchSize, maxConcurrency: trigger.maxConcurrency };
}

export async function startChaosRuntime(o: ChaosRuntimeOptions): Promise<ChaosRuntime> {
  const { config, names } = o;
  const region = config.AWS_REGION;
  const api = { apiId: 'local', stage: '$default', region };

  // Every function as its index.ts wires it (its manifest's config, its deps.ts), the API on clean
  // clients, the workers on the fault-injected ones.
  const a = o.apiClients;
  const functions = new Map([
    [
      'submit',
      localFunction(
        submitManifest,
        createSubmit({
          ...submitDeps(config, a),
          ...(o.afterStore ? { afterStore: o.afterStore } : {}),
        }),
      ),
    ],
    ['status', localFunction(statusManifest, createStatus(statusDeps(config, a)))],
    ['list', localFunction(listManifest, createList(listDeps(config, a)))],
    ['cancel', localFunction(cancelManifest, createCancel(cancelDeps(config, a)))],
    ['templates', localFunction(templatesManifest, createTemplates(templatesDeps(config)))],
    ['create-upload', localFunction(uploadManifest, createUpload(uploadDeps(config, a)))],
    ['models', localFunction(modelsManifest, createModels(modelsDeps(config, a)))],
  ]);
  // Every function of the product runs here: one missing from this file fails the run at once.
  const workers = [authorizerManifest, dispatcherManifest, deadLetterManifest, pollerManifest];
  const built = new Set([
    ...functions.keys(),
    ...[...workers, webhookSenderManifest].map((m) => m.name),
  ]);
  const notBuilt = FUNCTIONS.filter((m) => !built.has(m.name)).map((m) => m.name);
  if (notBuilt.length > 0) throw new Error(`the chaos runtime does not run ${notBuilt.join(', ')}`);
  const authorizer = lambdaAuthorizer({
    fn: localFunction(authorizerManifest, createAuthorizer(authorizerDeps(config, a))),
    identitySource: API_KEY_AUTHORIZER.identitySource,
    cacheTtlSeconds: API_KEY_AUTHORIZER.resultsCacheTtlSeconds,
    api,
    onError: (err) => o.onError('authorizer', err),
  });

  const w = o.workerClients;
  const dispatcherBuilt = dispatcherDeps(config, w);
  const dispatcher = localFunction(
    dispatcherManifest,
    createDispatcher({ ...dispatcherBuilt, random: o.random }),
  );
  const deadLetter = localFunction(deadLetterManifest, createDeadLetter(deadLetterDeps(config, w)));
  // Both pollers share one set of ComfyUI clients, as two runs of one container would.
  const pollerBuilt = pollerDeps(config, w);
  const poller = (lease: PollerLease) =>
    localFunction(pollerManifest, createPoller({ ...pollerBuilt, lease }));

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
    batchSize: sqsTrigger(dispatcherManifest).batchSize,
    waitTimeSeconds: 1,
    visibilityTimeoutSeconds: o.visibilitySeconds,
    // One more concurrent batch than deployed: more overlap, more races for the run to find.
    maxConcurrency: sqsTrigger(dispatcherManifest).maxConcurrency + 1,
    onError: (err, where) => o.onError(where, err),
  });
  const deadLetterSource = startSqsEventSource({
    sqs: o.apiClients.sqs,
    queueUrl: names.dlqUrl,
    queueArn: names.dlqArn,
    fn: deadLetter,
    region,
    batchSize: sqsTrigger(deadLetterManifest).batchSize,
    waitTimeSeconds: 1,
    visibilityTimeoutSeconds: o.visibilitySeconds,
    maxConcurrency: 1,
    onError: (err, where) => o.onError(where, err),
  });
  // Webhook events: the sender, with SQS delivering some of its messages twice too.
  const webhookDup = duplicatingDispatcher(
    localFunction(webhookSenderManifest, createWebhookSender(webhookSenderDeps(config, w))),
    { sqs: w.sqs, queueUrl: names.webhookQueueUrl, rate: o.duplicateRate, random: o.random },
  );
  const webhookSource = startSqsEventSource({
    sqs: o.apiClients.sqs,
    queueUrl: names.webhookQueueUrl,
    queueArn: names.webhookQueueArn,
    fn: webhookDup.fn,
    region,
    batchSize: sqsTrigger(webhookSenderManifest).batchSize,
    waitTimeSeconds: 1,
    visibilityTimeoutSeconds: o.visibilitySeconds,
    maxConcurrency: sqsTrigger(webhookSenderManifest).maxConcurrency,
    onError: (err, where) => o.onError(where, err),
  });
  const pollerA = startSchedule({
    fn: poller(pollerBuilt.lease),
    region,
    repeatAfterMs: 200,
    ruleName: 'poller-a',
    onInvocation: ({ error }) => error && o.onError('poller A', error),
  });
  const pollerB = startSchedule({
    fn: poller(noLease),
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
    webhookDuplicates: webhookDup.stats,
    invocations: () => ({ pollerA: pollerA.invocations, pollerB: pollerB.invocations }),
    async stop() {
      await server.close();
      await Promise.all([
        dispatchSource.stop(10_000),
        deadLetterSource.stop(10_000),
        webhookSource.stop(10_000),
        pollerA.stop(10_000),
        pollerB.stop(10_000),
      ]);
      await Promise.all(dispatcherBuilt.comfy.map((c) => c.close()));
    },
    async crash() {
      await server.close();
      await Promise.all([
        dispatchSource.stop(0),
        deadLetterSource.stop(0),
        webhookSource.stop(0),
        pollerA.stop(0),
        pollerB.stop(0),
      ]);
    },
  };
}
