/**
 * What runs the functions once the resources exist: the local API (with its authorizer), the SQS
 * event source mappings of the dispatcher and the dead-letter consumer, and the poller's schedule,
 * each with the settings of its function's manifest, as deployed. A function not on the branch yet is
 * simply not wired. Errors of invocations cut short by a stop are not reported.
 */

import { API_KEY_AUTHORIZER, API_ROUTES, FUNCTIONS } from '../../../functions/manifests.js';
import type { AwsClients } from '../../../shared/adapters/aws/clients.js';
import { DynamoApiKeyStore } from '../../../shared/adapters/dynamodb/api-key-store.js';
import { DynamoWebhookSecretStore } from '../../../shared/adapters/dynamodb/webhook-secret-store.js';
import { authenticateApiKey } from '../../../shared/auth/api-keys.js';
import { createJwtVerifier } from '../../../shared/auth/jwt-verifier.js';
import { createKey } from '../../../shared/auth/key-admin.js';
import { ensureWebhookSecret } from '../../../shared/auth/webhook-secret-admin.js';
import type { Config } from '../../../shared/config.js';
import { API_CORS, API_THROTTLE } from '../../../shared/http/routes.js';
import { systemClock } from '../../../shared/ports/clock.js';
import type { QueueName } from '../../../shared/resources.js';
import { jwtAuthorizer, lambdaAuthorizer, type RouteAuthorizer } from '../api/authorizers.js';
import { startApiServer } from '../api-server.js';
import type { LocalResourceNames } from '../bootstrap.js';
import type { LocalFunction } from '../runtime/invoke.js';
import { startSchedule } from '../schedule.js';
import { startSqsEventSource } from '../sqs-event-source.js';
import type { StaticSite } from '../web-demo.js';
import type { StartOptions } from './options.js';

/** The owner of the key `npm start` creates: the same on every start, so --persist keeps your tasks. */
const LOCAL_OWNER = 'local-dev';

export interface Log {
  info(line: string): void;
  error(line: string, err?: unknown): void;
}
export interface Stopper {
  name: string;
  stop(): Promise<void>;
}
/** How long a stop waits for running invocations before moving on. */
const STOP_GRACE_MS = 5000;

/**
 * The route authorizer for the configured auth mode, and in API-key mode the key to print: the
 * previous start's key when it is still valid in the keys table (with persisted state), else a new one.
 */
export async function createAuth(input: {
  config: Config;
  functions: ReadonlyMap<string, LocalFunction>;
  clients: AwsClients;
  names: LocalResourceNames;
  region: string;
  log: Log;
  /** The key the previous start wrote (`.local/api-key`), if any. */
  previousKey?: string;
}): Promise<{
  authorizer?: RouteAuthorizer;
  apiKey?: string;
  keptKey?: boolean;
  /** The local owner's webhook signing secret (kept across --persist starts). */
  webhookSecret?: string;
}> {
  const { config } = input;
  if (config.AUTH_MODE === 'jwt') {
    if (!config.JWT_ISSUER || !config.JWT_AUDIENCE) {
      throw new Error('AUTH_MODE=jwt needs JWT_ISSUER and JWT_AUDIENCE');
    }
    const verifier = createJwtVerifier({
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      ...(config.JWT_JWKS_URL ? { jwksUrl: config.JWT_JWKS_URL } : {}),
    });
    return { authorizer: jwtAuthorizer({ verifier }) };
  }
  const keys = new DynamoApiKeyStore({
    client: input.clients.doc,
    tableName: input.names.apiKeysTable,
  });
  const kept = (await authenticateApiKey(keys, input.previousKey))?.owner === LOCAL_OWNER;
  const key = kept
    ? (input.previousKey as string)
    : (await createKey({ keys, clock: systemClock }, LOCAL_OWNER, 'npm start')).key;
  const { secret: webhookSecret } = await ensureWebhookSecret(
    {
      secrets: new DynamoWebhookSecretStore({
        client: input.clients.doc,
        tableName: input.names.apiKeysTable,
      }),
      clock: systemClock,
    },
    LOCAL_OWNER,
  );
  const fn = input.functions.get(API_KEY_AUTHORIZER.fn);
  if (!fn) return { apiKey: key, keptKey: kept, webhookSecret };
  const authorizer = lambdaAuthorizer({
    fn,
    identitySource: API_KEY_AUTHORIZER.identitySource,
    cacheTtlSeconds: API_KEY_AUTHORIZER.resultsCacheTtlSeconds,
    api: { apiId: 'local', stage: '$default', region: input.region },
    onError: (err) => input.log.error('authorizer failed', err),
  });
  return { authorizer, apiKey: key, keptKey: kept, webhookSecret };
}

export async function startWorkers(input: {
  opts: StartOptions;
  functions: ReadonlyMap<string, LocalFunction>;
  authorizer?: RouteAuthorizer;
  clients: AwsClients;
  names: LocalResourceNames;
  log: Log;
  /** Static files served under a prefix of the API (the web demo). */
  site?: { prefix: string; files: StaticSite };
}): Promise<{ apiUrl: string; stoppers: Stopper[] }> {
  const { opts, functions, clients, names, log } = input;
  let stopping = false;
  const report = (where: string, err: unknown) => {
    if (!stopping) log.error(where, err);
  };
  const stoppers: Stopper[] = [
    {
      name: 'error reports',
      stop: async () => {
        stopping = true;
      },
    },
  ];
  const queueUrls: Record<QueueName, { url: string; arn: string }> = {
    dispatch: { url: names.queueUrl, arn: names.queueArn },
    dispatchDeadLetter: { url: names.dlqUrl, arn: names.dlqArn },
    webhook: { url: names.webhookQueueUrl, arn: names.webhookQueueArn },
    webhookDeadLetter: { url: names.webhookDlqUrl, arn: names.webhookDlqArn },
  };
  for (const manifest of FUNCTIONS) {
    const fn = functions.get(manifest.name);
    if (!fn) continue;
    const { trigger } = manifest;
    if (trigger.kind === 'sqs') {
      const queue = queueUrls[trigger.queue];
      const es = startSqsEventSource({
        sqs: clients.sqs,
        queueUrl: queue.url,
        queueArn: queue.arn,
        fn,
        region: opts.region,
        batchSize: trigger.batchSize,
        maxConcurrency: trigger.maxConcurrency,
        onError: (err, where) => report(where, err),
      });
      stoppers.push({ name: `${manifest.name} event source`, stop: () => es.stop(STOP_GRACE_MS) });
    } else if (trigger.kind === 'schedule') {
      const schedule = startSchedule({
        fn,
        region: opts.region,
        rateMs: trigger.rateMinutes * 60_000,
        repeatAfterMs: opts.pollerRepeatMs,
        onInvocation: ({ error }) => {
          if (error) report(`${manifest.name} invocation failed`, error);
        },
      });
      stoppers.push({
        name: `${manifest.name} schedule`,
        stop: () => schedule.stop(STOP_GRACE_MS),
      });
    }
  }
  const server = await startApiServer({
    host: opts.host,
    port: opts.apiPort,
    routes: API_ROUTES,
    functions,
    api: { apiId: 'local', stage: '$default', region: opts.region },
    ...(input.authorizer ? { authorizer: input.authorizer } : {}),
    ...(input.site ? { site: input.site } : {}),
    ...(opts.throttle ? { throttle: API_THROTTLE } : {}),
    ...(opts.corsOrigins.length ? { cors: { ...API_CORS, allowOrigins: opts.corsOrigins } } : {}),
    ...(opts.verbose
      ? { onRequest: (l) => log.info(`${l.method} ${l.path} -> ${l.status} (${l.ms} ms)`) }
      : {}),
    onError: (err, where) => report(where, err),
  });
  stoppers.push({ name: 'local API', stop: () => server.close() });
  return { apiUrl: server.url, stoppers };
}
