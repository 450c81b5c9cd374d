/**
 * Starts everything `npm start` runs, in order, and stops it all again (in reverse) on `stop()`.
 * The function modules are imported only after their environment is set, as in a Lambda cold start.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FUNCTIONS } from '../../../functions/manifests.js';
import { createAwsClients } from '../../../shared/adapters/aws/clients.js';
import { loadConfig } from '../../../shared/config.js';
import {
  API_KEYS_TABLE,
  DISPATCH_DLQ,
  DISPATCH_QUEUE,
  TASKS_TABLE,
  WEBHOOK_DLQ,
  WEBHOOK_QUEUE,
} from '../../../shared/resources.js';
import { outputsCorsRule } from '../../outputs-cors.js';
import {
  bootstrapQueuesAndBucket,
  bootstrapTables,
  type LocalResourceNames,
} from '../bootstrap.js';
import {
  type Emulator,
  type FauxqsEmulator,
  freePort,
  startDynamoLocal,
  startS3Sqs,
} from '../emulators.js';
import {
  LOCAL_FLEET_TICK_MS,
  LOCAL_REGISTRY_CACHE_MS,
  localFleetSettings,
  startLocalFleetController,
} from '../fleet/local-fleet-controller.js';
import { LocalGpuFleet } from '../fleet/local-gpu-fleet.js';
import { loadFunction } from '../runtime/functions.js';
import type { LocalFunction } from '../runtime/invoke.js';
import { browserOrigins, buildWebDemo, DEMO_PREFIX } from '../web-demo.js';
import { type LocalComfy, startComfy } from './comfy.js';
import { functionEnvironment, LOCAL_CREDENTIALS } from './function-env.js';
import type { StartOptions } from './options.js';
import { loadSnapshot, type SnapshotTarget, saveSnapshot } from './persistence.js';
import { assertPortsFree } from './ports.js';
import { createAuth, type Log, startWorkers } from './workers.js';

export type RuntimeLog = Log;

export interface LocalRuntime {
  /** How long each start-up phase took, in ms (emulators, resources, functions, workers). */
  timings: Record<string, number>;
  apiUrl: string;
  comfy: LocalComfy;
  /** With --max-gpus: the local GPU fleet (stand-ins started and stopped by the controller). */
  fleet?: LocalGpuFleet;
  dynamodbEndpoint: string;
  s3SqsEndpoint: string;
  names: LocalResourceNames;
  apiKey?: string;
  /** The local owner's webhook signing secret (API key mode). */
  webhookSecret?: string;
  /** The API key is the previous start's (still valid in the persisted keys table). */
  keptKey?: boolean;
  authMode: 'apiKey' | 'jwt';
  /** Functions whose folder under functions/ was not found. */
  missing: string[];
  restored?: { objects: number; messages: number };
  stop(): Promise<void>;
}

/**
 * The key a previous start wrote (start.ts writes `api-key` in the state folder, and with persisted
 * state also in the data folder, whose keys table it belongs to).
 */
function previousKey(opts: StartOptions): { previousKey?: string } {
  const files = [
    ...(opts.dataDir ? [join(opts.dataDir, 'api-key')] : []),
    join(opts.stateDir, 'api-key'),
  ];
  const file = files.find((f) => existsSync(f));
  return file ? { previousKey: readFileSync(file, 'utf8').trim() } : {};
}
/** What the banner and runtime.json show for ComfyUI when a fleet provides the servers. */
function fleetComfy(opts: StartOptions): LocalComfy {
  const f = opts.fleet as NonNullable<StartOptions['fleet']>;
  const what = f.command ? 'ComfyUI servers of --gpu-command' : 'stand-ins';
  return { url: `local GPU fleet (${f.minGpus} to ${f.maxGpus} ${what})`, stop: async () => {} };
}

/** The local fleet and the controller that sizes it (after the workers, so the queue is live). */
function startFleet(
  opts: StartOptions,
  clients: ReturnType<typeof createAwsClients>,
  names: LocalResourceNames,
  config: ReturnType<typeof loadConfig>,
  log: RuntimeLog,
) {
  const f = opts.fleet as NonNullable<StartOptions['fleet']>;
  const fleet = new LocalGpuFleet({
    bootMs: f.bootMs,
    warmPool: f.warmPool === true,
    ...(f.command ? { command: f.command, host: opts.host } : {}),
    standIn: { host: opts.host, executionMs: opts.comfyExecutionMs },
    ...(opts.verbose ? { log: (m, d) => log.info(`${m} ${JSON.stringify(d ?? {})}`) } : {}),
  });
  const controller = startLocalFleetController({
    fleet,
    clients,
    tableName: names.tasksTable,
    queueUrl: names.queueUrl,
    tickMs: LOCAL_FLEET_TICK_MS,
    settings: localFleetSettings(f, {
      promptsPerGpu: config.FLEET_PROMPTS_PER_GPU,
      promptMs: opts.comfyExecutionMs,
    }),
    onTick: (t) => {
      if (opts.verbose && (t.started > 0 || t.stopped.length > 0)) {
        log.info(
          `fleet: ${t.started > 0 ? `start ${t.started} ` : ''}${t.stopped.map((x) => `stop ${x.id} (${x.reason}) `).join('')}— ${t.decision.why.join('; ')}`,
        );
      }
    },
    onError: (err) => log.error('fleet controller tick failed', err),
  });
  return {
    fleet,
    stop: async () => {
      await controller.stop();
      await fleet.close();
    },
  };
}

const errText = (err: unknown) => (err instanceof Error ? err.message : String(err));

export async function startLocalRuntime(
  opts: StartOptions,
  ctx: { root: string; env: Record<string, string | undefined>; log: RuntimeLog },
): Promise<LocalRuntime> {
  const { log } = ctx;
  await assertPortsFree([
    { port: opts.apiPort, what: 'local API', flag: '--port' },
    { port: opts.dynamodbPort, what: 'DynamoDB Local', flag: '--dynamodb-port' },
    { port: opts.awsPort, what: 'fauxqs S3 + SQS', flag: '--aws-port' },
    ...(opts.comfyuiUrl || opts.fleet
      ? []
      : [{ port: opts.comfyPort, what: 'ComfyUI stand-in', flag: '--comfy-port' }]),
  ]);
  // The API's port is part of the browser origin the local S3 allows (the demo's), so it is fixed
  // before anything starts.
  if (!opts.apiPort) opts = { ...opts, apiPort: await freePort() };
  mkdirSync(opts.stateDir, { recursive: true });
  if (opts.dataDir) mkdirSync(opts.dataDir, { recursive: true });

  const stoppers: { name: string; stop: () => Promise<void> }[] = [];
  let dynamo: Emulator | undefined;
  let waitForDynamo: Promise<unknown> | undefined;
  const stopAll = async () => {
    for (const s of stoppers.splice(0).reverse()) {
      await s.stop().catch((err: unknown) => log.error(`stopping ${s.name} failed`, err));
    }
  };
  try {
    const timings: Record<string, number> = {};
    let mark = performance.now();
    const lap = (name: string) => {
      const now = performance.now();
      timings[name] = Math.round(now - mark);
      mark = now;
    };
    // DynamoDB Local (a JVM) takes the longest to start: the rest, including importing the
    // functions, happens meanwhile. Its endpoint is known up front from its port.
    const dynamodbPort = opts.dynamodbPort || (await freePort());
    const dynamoStarting = startDynamoLocal({
      port: dynamodbPort,
      ...(opts.dataDir ? { dbPath: join(opts.dataDir, 'dynamodb') } : {}),
    }).then((e) => {
      dynamo = e;
      stoppers.push({ name: 'DynamoDB Local', stop: () => e.stop() });
      return e;
    });
    dynamoStarting.catch(() => {}); // awaited below; this only keeps it from being "unhandled"
    waitForDynamo = dynamoStarting;
    // The web demo at /demo/: a broken build costs the demo, not the runtime.
    const demoBuilding = buildWebDemo(ctx.root).catch((err: unknown) => {
      log.error('building the web demo failed; /demo/ is not served', err);
      return undefined;
    });
    const [fauxqs, comfy] = await Promise.all([
      startS3Sqs({
        port: opts.awsPort,
        cors: outputsCorsRule(browserOrigins(opts.apiPort, opts.corsOrigins)),
      }).then((e: FauxqsEmulator) => {
        stoppers.push({ name: 'fauxqs', stop: () => e.stop() });
        return e;
      }),
      opts.fleet
        ? Promise.resolve(fleetComfy(opts))
        : startComfy({
            port: opts.comfyPort,
            host: opts.host,
            executionMs: opts.comfyExecutionMs,
            ...(opts.dataDir ? { dataDir: join(opts.dataDir, 'comfyui') } : {}),
            ...(opts.comfyuiUrl ? { comfyuiUrl: opts.comfyuiUrl } : {}),
          }).then((c) => {
            stoppers.push({ name: 'ComfyUI stand-in', stop: () => c.stop() });
            return c;
          }),
    ]);
    // The emulators accept any credentials; never let the SDK reach for a real profile.
    Object.assign(process.env, LOCAL_CREDENTIALS);
    const dynamodbEndpoint = `http://127.0.0.1:${dynamodbPort}`;
    const clients = createAwsClients({
      region: opts.region,
      dynamodbEndpoint,
      sqsEndpoint: fauxqs.endpoint,
      s3Endpoint: fauxqs.endpoint,
    });
    const names: LocalResourceNames = {
      tasksTable: TASKS_TABLE.localName,
      apiKeysTable: API_KEYS_TABLE.localName,
      ...(await bootstrapQueuesAndBucket(clients)),
    };
    const snapshotTarget: SnapshotTarget = {
      s3: clients.s3,
      sqs: clients.sqs,
      fauxqs: fauxqs.server,
      bucket: names.bucket,
      queues: {
        [DISPATCH_QUEUE.localName]: names.queueUrl,
        [DISPATCH_DLQ.localName]: names.dlqUrl,
        [WEBHOOK_QUEUE.localName]: names.webhookQueueUrl,
        [WEBHOOK_DLQ.localName]: names.webhookDlqUrl,
      },
    };
    const dataDir = opts.dataDir;
    const restored = dataDir ? await loadSnapshot(dataDir, snapshotTarget) : undefined;
    if (dataDir) {
      // Runs after the workers stop (registered before them), before the emulators stop.
      stoppers.push({
        name: 'snapshot',
        stop: async () => {
          const saved = await saveSnapshot(dataDir, snapshotTarget);
          log.info(
            `saved ${saved.objects} S3 objects and ${saved.messages} queue messages to ${dataDir}`,
          );
        },
      });
    }
    lap('s3+sqs+comfyui');

    Object.assign(
      process.env,
      functionEnvironment({
        names,
        dynamodbEndpoint,
        s3SqsEndpoint: fauxqs.endpoint,
        comfyUrls: opts.fleet ? [] : [comfy.url],
        region: opts.region,
        env: ctx.env,
      }),
      // With a local fleet the dispatcher and poller read the servers from the fleet registry.
      opts.fleet
        ? {
            COMFYUI_SERVERS: 'fleet',
            FLEET_REGISTRY_CACHE_MS: String(LOCAL_REGISTRY_CACHE_MS),
            FLEET_CAPACITY_POLL_SECONDS: '1',
          }
        : {},
      // --no-throttle lifts the per-owner rate limit as well as the stage throttle (load tests),
      // unless OWNER_RATE_LIMIT_PER_SECOND is set explicitly.
      opts.throttle || ctx.env.OWNER_RATE_LIMIT_PER_SECOND
        ? {}
        : { OWNER_RATE_LIMIT_PER_SECOND: '0' },
    );
    const config = loadConfig(process.env);
    const functions = new Map<string, LocalFunction>();
    const missing: string[] = [];
    for (const manifest of FUNCTIONS) {
      const fn = await loadFunction(ctx.root, manifest);
      if (fn) functions.set(manifest.name, fn);
      else missing.push(manifest.name);
    }
    lap('functions');
    const ddb = await dynamoStarting;
    const tables = await bootstrapTables(clients.dynamodb);
    if (tables.tasksTable !== names.tasksTable || tables.apiKeysTable !== names.apiKeysTable) {
      throw new Error('table names differ from the ones given to the functions');
    }
    lap('dynamodb');

    const { authorizer, apiKey, keptKey, webhookSecret } = await createAuth({
      config,
      functions,
      clients,
      names,
      region: opts.region,
      log,
      ...previousKey(opts),
    });
    const demo = await demoBuilding;
    const workers = await startWorkers({
      opts,
      functions,
      ...(authorizer ? { authorizer } : {}),
      clients,
      names,
      log,
      ...(demo ? { site: { prefix: DEMO_PREFIX, files: demo } } : {}),
    });
    // Stopped first (they are last in the list): the API, the poller, the event sources.
    stoppers.push(...workers.stoppers);
    const fleet = opts.fleet ? startFleet(opts, clients, names, config, log) : undefined;
    if (fleet) stoppers.push({ name: 'GPU fleet', stop: fleet.stop });
    lap('workers');
    return {
      timings,
      apiUrl: workers.apiUrl,
      comfy,
      ...(fleet ? { fleet: fleet.fleet } : {}),
      dynamodbEndpoint: ddb.endpoint,
      s3SqsEndpoint: fauxqs.endpoint,
      names,
      ...(apiKey ? { apiKey, keptKey: keptKey === true } : {}),
      ...(webhookSecret ? { webhookSecret } : {}),
      authMode: config.AUTH_MODE,
      missing,
      ...(restored ? { restored } : {}),
      stop: stopAll,
    };
  } catch (err) {
    log.error(`start-up failed: ${errText(err)}`);
    await waitForDynamo?.catch(() => {});
    await stopAll();
    dynamo?.kill?.();
    throw err;
  }
}
