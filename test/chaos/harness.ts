/**
 * One chaos run: the local runtime (in process, see runtime.ts) against the ComfyUI stand-in on the
 * emulators; N tasks submitted through the API while the stand-in restarts every few seconds, a share
 * of ComfyUI calls get a 5xx or a dropped connection, SQS delivers some messages twice, two pollers
 * run at once and a share of S3 writes fail; a few submits are killed between storing and sending, a
 * few tasks' S3 writes are denied for good, and the whole runtime is killed once mid-run and started
 * again on the same data. Every task has a webhook: its receiver verifies each delivery and, until
 * every task has ended, answers a share of them 500, hangs or resets the connection; SQS delivers
 * some webhook messages twice too. Then the faults stop, everything drains (tasks, then their terminal
 * webhook events), and the run is checked (report.ts). Seeded: the plan of tasks and every fault decision come from `seed`.
 * With `fleet`, ComfyUI is a local GPU fleet that follows the queue (fleet.ts) instead of one stand-in:
 * every server gets the same faults (restarts, failing calls), servers are also killed at random, and
 * the idle time is short, so the fleet scales out and in during the run.
 */
import { createHash, randomBytes } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, PurgeQueueCommand } from '@aws-sdk/client-sqs';
import { buildDeps as buildAuthorizerDeps } from '../../functions/authorizer/deps.js';
import { bootstrapLocalResources } from '../../infra/local/bootstrap.js';
import { prng } from '../../infra/local/comfy-standin/faults.js';
import { type ComfyStandIn, startComfyStandIn } from '../../infra/local/comfy-standin/index.js';
import { LOCAL_REGISTRY_CACHE_MS } from '../../infra/local/fleet/local-fleet-controller.js';
import { type AwsClients, createAwsClients } from '../../shared/adapters/aws/clients.js';
import { DynamoTaskRepository } from '../../shared/adapters/dynamodb/task-repository.js';
import { DynamoWebhookSecretStore } from '../../shared/adapters/dynamodb/webhook-secret-store.js';
import { createKey } from '../../shared/auth/key-admin.js';
import { ensureWebhookSecret } from '../../shared/auth/webhook-secret-admin.js';
import { type Config, loadConfig } from '../../shared/config.js';
import type { Task } from '../../shared/domain/task.js';
import { isTerminal } from '../../shared/domain/task.js';
import { systemClock } from '../../shared/ports/clock.js';
import { captureOutput } from '../helpers/capture-output.js';
import { injectS3Denied } from './faults/s3-denied.js';
import { injectS3WriteFaults } from './faults/s3-write-faults.js';
import { submitKills } from './faults/submit-kills.js';
import { startChaosReceiver } from './faults/webhook-receiver.js';
import { ChaosFleet, type ChaosFleetSettings } from './fleet.js';
import { buildReport, type ChaosInput, type ChaosReport, formatReport } from './report.js';
import { startChaosRuntime } from './runtime.js';
import { FAILING_NODE_CLASS } from './workflows.js';
import { planTasks, runWorkload } from './workload.js';

export interface ChaosOptions {
  tasks: number;
  seed: number;
  endpoints: { dynamodb: string; s3sqs: string };
  /** Time between stand-in restarts. @default 3000 */
  restartEveryMs?: number;
  /** Share of ComfyUI calls that fail (half 5xx, half dropped). @default 0.1 */
  comfyFaultRate?: number;
  /** Share of worker S3 writes that fail. @default 0.1 */
  s3FaultRate?: number;
  /** Share of dispatch records delivered twice. @default 0.15 */
  duplicateRate?: number;
  /** @default 0.1 */
  failRate?: number;
  /** @default 0.15 */
  cancelRate?: number;
  /** Faults stay on at least this long (and until every submit and cancel is answered). @default 10000 */
  minChaosMs?: number;
  /** Give up waiting for the drain after this long. @default 120000 */
  drainTimeoutMs?: number;
  /** Stand-in execution time per run. @default 40 */
  executionMs?: number;
  /** Share of tasks whose S3 writes are denied for the whole run. @default 0.03 */
  s3DeniedShare?: number;
  /** Deny the first task that writes when the share drew none (small runs must see the fault). */
  s3DeniedAtLeastOne?: boolean;
  /** Share of submits killed between storing the task and sending its message. @default 0.03 */
  submitKillShare?: number;
  /** Share of webhook deliveries the receiver fails (500, hang, reset) until every task ended. @default 0.3 */
  webhookFailRate?: number;
  /** Kill and restart the whole runtime once, mid-run. @default true */
  crash?: boolean;
  /** ComfyUI as a local GPU fleet of this size and timing, with servers killed at random. */
  fleet?: ChaosFleetSettings;
  progress?: (line: string) => void;
}

export interface ChaosResult {
  input: ChaosInput;
  report: ChaosReport;
  text: string;
  /** Everything the functions logged during the run (JSON lines). */
  logs: string;
}

/** The dispatcher's warning when two deliveries of one task submitted it at once (ADR 001 §1). */
const DUPLICATE_DISPATCH_MESSAGE = 'concurrent duplicate dispatch to the same server';

/** The sweeper's warning when it re-sends a lost message (shared/use-cases/sweep-queued.ts). */
const SWEEPER_RESEND_MESSAGE = 'queued task without a live message; dispatch message sent again';
/** The dispatcher's note when a copy of a message finds the task claimed by another. */
const CLAIM_DEFERRAL_MESSAGE = 'another dispatcher holds the task, dispatch deferred';
/** The poller's warning when it sends a task ComfyUI lost back to the queue. */
const REQUEUE_MESSAGE = 'task lost by ComfyUI, re-queued';
/** Prompts per GPU the fleet's controller sizes for (the deployed default). */
const PROMPTS_PER_GPU = 4;

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** Log lines with this message. */
function countLogged(logs: string, message: string): number {
  let n = 0;
  for (const line of logs.split('\n')) {
    if (!line.includes(message)) continue;
    try {
      if ((JSON.parse(line) as { message?: string }).message === message) n++;
    } catch {
      // not a log line
    }
  }
  return n;
}

/** Task ids of the log lines with this message. */
function tasksLogged(logs: string, message: string): Set<string> {
  const ids = new Set<string>();
  for (const line of logs.split('\n')) {
    if (!line.includes(message)) continue;
    try {
      const entry = JSON.parse(line) as { message?: string; taskId?: string };
      if (entry.message === message && entry.taskId) ids.add(entry.taskId);
    } catch {
      // not a log line
    }
  }
  return ids;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function listOutputs(clients: AwsClients, bucket: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let token: string | undefined;
  do {
    const page = await clients.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: 'outputs/', ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) if (o.Key) out.set(o.Key, '');
    token = page.NextContinuationToken;
  } while (token);
  const keys = [...out.keys()];
  for (let i = 0; i < keys.length; i += 16) {
    await Promise.all(
      keys.slice(i, i + 16).map(async (key) => {
        const obj = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        out.set(key, sha256((await obj.Body?.transformToByteArray()) ?? new Uint8Array()));
      }),
    );
  }
  return out;
}

async function readTasks(repo: DynamoTaskRepository, ids: string[]): Promise<Map<string, Task>> {
  const out = new Map<string, Task>();
  for (let i = 0; i < ids.length; i += 25) {
    const got = await Promise.all(ids.slice(i, i + 25).map((id) => repo.get(id)));
    for (const t of got) if (t) out.set(t.taskId, t);
  }
  return out;
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosResult> {
  const say = opts.progress ?? (() => {});
  const random = prng(opts.seed);
  const clients = (): AwsClients =>
    createAwsClients({
      region: 'us-east-1',
      dynamodbEndpoint: opts.endpoints.dynamodb,
      sqsEndpoint: opts.endpoints.s3sqs,
      s3Endpoint: opts.endpoints.s3sqs,
    });
  const apiClients = clients();
  const workerClients = clients();
  const names = await bootstrapLocalResources(
    apiClients,
    `-chaos-${randomBytes(3).toString('hex')}`,
  );
  const executionMs = opts.executionMs ?? 40;
  const comfy: ComfyStandIn | undefined = opts.fleet
    ? undefined
    : await startComfyStandIn({ executionMs, seed: opts.seed });
  const config: Config = loadConfig({
    TASKS_TABLE_NAME: names.tasksTable,
    API_KEYS_TABLE_NAME: names.apiKeysTable,
    OUTPUTS_BUCKET_NAME: names.bucket,
    DISPATCH_QUEUE_URL: names.queueUrl,
    AWS_ENDPOINT_URL_DYNAMODB: opts.endpoints.dynamodb,
    AWS_ENDPOINT_URL_SQS: opts.endpoints.s3sqs,
    AWS_ENDPOINT_URL_S3: opts.endpoints.s3sqs,
    AWS_REGION: 'us-east-1',
    ...(comfy
      ? { COMFYUI_URLS: comfy.url }
      : {
          // The dispatcher and the poller read the servers from the fleet registry, as under
          // `npm start -- --max-gpus N`.
          COMFYUI_SERVERS: 'fleet',
          FLEET_REGISTRY_CACHE_MS: String(LOCAL_REGISTRY_CACHE_MS),
          FLEET_CAPACITY_POLL_SECONDS: '1',
          FLEET_PROMPTS_PER_GPU: String(PROMPTS_PER_GPU),
        }),
    LOG_LEVEL: 'INFO',
    MAX_ACTIVE_TASKS_PER_OWNER: '1000',
    // The workload's clients outpace one owner's rate limit on purpose (it has tests of its own).
    OWNER_RATE_LIMIT_PER_SECOND: '0',
    MAX_IN_FLIGHT: '6',
    POLL_INTERVAL_MS: '100',
    POLLER_RUN_MS: '20000',
    POLLER_LEASE_MS: '2000',
    POLLER_LOST_AFTER_POLLS: '2',
    POLLER_LOST_GRACE_MS: '1500',
    POLLER_COPY_CONCURRENCY: '4',
    DISPATCH_DEFER_BASE_SECONDS: '1',
    DISPATCH_DEFER_MAX_SECONDS: '2',
    DISPATCH_RETRY_BASE_SECONDS: '1',
    DISPATCH_RETRY_MAX_SECONDS: '2',
    COMFYUI_CONNECT_TIMEOUT_MS: '2000',
    COMFYUI_HEADERS_TIMEOUT_MS: '5000',
    COMFYUI_BODY_TIMEOUT_MS: '5000',
    // Short enough to re-send lost messages within the drain; longer than any wait here (records
    // hold 1 s, deferrals come back within 2 s, and every 8th looks at the task).
    DISPATCH_HOLD_MS: '1000',
    QUEUED_SWEEP_GRACE_SECONDS: '45',
    QUEUED_SWEEP_EVERY_SECONDS: '5',
    DISPATCH_CLAIM_SECONDS: '10',
    OUTPUT_COPY_RETRY_BASE_MS: '200',
    WEBHOOK_QUEUE_URL: names.webhookQueueUrl,
    WEBHOOK_DLQ_URL: names.webhookDlqUrl,
    // The receivers listen on 127.0.0.1 over http, as a developer's do under `npm start`.
    WEBHOOK_ALLOW_LOCAL_HTTP: 'true',
    // Nine attempts a few seconds apart (deployed: Standard Webhooks' schedule over a day); a
    // hanging receiver is given up on after 1 s (deployed: 10 s).
    WEBHOOK_RETRY_DELAYS_SECONDS: '1,1,1,2,2,2,3,3',
    WEBHOOK_TIMEOUT_MS: '1000',
  });

  const s3Faults = injectS3WriteFaults(workerClients.s3, {
    probability: opts.s3FaultRate ?? 0.1,
    random,
  });
  // Writes under these tasks' prefixes are denied for the whole run: they must fail, not hang.
  const s3Denied = injectS3Denied(workerClients.s3, {
    share: opts.s3DeniedShare ?? 0.03,
    seed: opts.seed,
    ...(opts.s3DeniedAtLeastOne ? { atLeastOne: true } : {}),
  });
  const kills = submitKills({ share: opts.submitKillShare ?? 0.03, random });
  let workerErrors = 0;
  // From the first invocation on (the poller runs at start), the functions' logs are captured.
  const output = captureOutput();
  const startRuntime = (apiPort?: number) =>
    startChaosRuntime({
      config,
      names,
      apiClients,
      workerClients,
      duplicateRate: opts.duplicateRate ?? 0.15,
      random,
      // Longer than the dispatcher's timeout (30 s), as deployed (there 6x): a message is never
      // redelivered while an invocation still works on it. Shorter than AWS's 180 s to drain sooner.
      visibilitySeconds: 35,
      afterStore: kills.afterStore,
      ...(apiPort === undefined ? {} : { apiPort }),
      onError: () => {
        workerErrors++;
      },
    });
  let runtime = await startRuntime();
  const runtimes = [runtime];

  // Callers: three owners with a key each.
  const owners = ['alice', 'bob', 'carol'];
  const keys: Record<string, string> = {};
  const admin = { keys: buildAuthorizerDeps(config, apiClients).keys, clock: systemClock };
  for (const owner of owners) keys[owner] = (await createKey(admin, owner, 'chaos')).key;
  const secretAdmin = {
    secrets: new DynamoWebhookSecretStore({
      client: apiClients.doc,
      tableName: names.apiKeysTable,
    }),
    clock: systemClock,
  };
  const secrets: Record<string, string> = {};
  for (const owner of owners)
    secrets[owner] = (await ensureWebhookSecret(secretAdmin, owner)).secret;
  const receiver = await startChaosReceiver({
    secrets,
    failRate: opts.webhookFailRate ?? 0.3,
    hangMs: 3000,
    random,
  });
  const plans = planTasks(opts.tasks, owners, random, {
    fail: opts.failRate ?? 0.1,
    cancel: opts.cancelRate ?? 0.15,
  });

  // Faults on, on every ComfyUI server (a fleet's as each comes up).
  const rate = opts.comfyFaultRate ?? 0.1;
  let faultsOn = true;
  const faultIds = new Map<ComfyStandIn, number[]>();
  const arm = (s: ComfyStandIn) => {
    s.control.failNode({ classType: FAILING_NODE_CLASS, message: 'Injected failure (chaos)' });
    if (!faultsOn) return;
    const route = /^\/(?!__standin)/;
    faultIds.set(s, [
      s.control.injectFault({ route, kind: 'status', status: 503, probability: rate / 4 }),
      s.control.injectFault({ route, kind: 'status', status: 500, probability: rate / 4 }),
      s.control.injectFault({ route, kind: 'drop', probability: rate / 4 }),
      s.control.injectFault({ route, kind: 'reset', probability: rate / 4 }),
    ]);
  };
  const fleet = opts.fleet
    ? new ChaosFleet({
        settings: opts.fleet,
        clients: apiClients,
        names,
        promptsPerGpu: PROMPTS_PER_GPU,
        executionMs,
        seed: opts.seed,
        onUp: arm,
      })
    : undefined;
  if (comfy) arm(comfy);
  fleet?.start();
  /** Every server that took part (their run records and fault counts make up the run's). */
  const standIns = (): ComfyStandIn[] => (comfy ? [comfy] : (fleet?.standIns ?? []));
  /** A server that is up now, chosen at random (the one stand-in without a fleet). */
  const anyUp = async (): Promise<ComfyStandIn | undefined> => {
    if (comfy) return comfy;
    const up = (await fleet?.up()) ?? [];
    return up[Math.floor(random() * up.length)]?.standIn;
  };
  // One restart at a time (the restart loop's and the crash's).
  let lastRestart: Promise<unknown> = Promise.resolve();
  const restartComfy = (downtimeMs: number, target: ComfyStandIn) => {
    lastRestart = lastRestart.then(() => target.control.restart({ downtimeMs }));
    return lastRestart;
  };
  let restarts = 0;
  let restarting = true;
  const restartLoop = (async () => {
    const every = opts.restartEveryMs ?? 3000;
    while (restarting) {
      await sleep(every * (0.7 + 0.6 * random()));
      if (!restarting) break;
      const target = await anyUp();
      if (!target) continue;
      restarts++;
      await restartComfy(100 + Math.floor(random() * 400), target);
    }
  })();
  /**
   * A fault on a fleet server about every `every` ms while the faults are on: a pause, then up to half
   * of it waiting for a server holding prompts.
   */
  const serverFaultLoop = async (
    every: number | undefined,
    act: (f: ChaosFleet, patienceMs: number) => Promise<boolean>,
  ) => {
    if (!fleet || every === undefined) return;
    while (restarting) {
      await sleep(every * (0.35 + 0.3 * random()));
      if (!restarting) break;
      await act(fleet, every / 2);
    }
  };
  // With a fleet: servers killed at random, running prompts and all; with hangs, servers whose
  // ComfyUI stops answering, for the controller to replace.
  const killLoop = serverFaultLoop(opts.fleet?.killEveryMs, (f, ms) => f.killOne(random, ms));
  const hangLoop = serverFaultLoop(opts.fleet?.hangEveryMs || undefined, (f, ms) =>
    f.hangOne(random, ms),
  );

  const started = Date.now();
  say(`seed ${opts.seed}: submitting ${opts.tasks} tasks with faults on`);
  const workload = runWorkload({
    apiUrl: runtime.apiUrl,
    keys,
    plans,
    seed: opts.seed,
    concurrency: 6,
    webhookUrl: receiver.url,
  });
  // The whole runtime killed mid-run (as `kill -9` of `npm start`) and started again on the same
  // data: the queues' messages are gone (fauxqs keeps them in memory), ComfyUI restarts empty, the
  // tasks in DynamoDB stay.
  let crashes = 0;
  const crashAt = (opts.minChaosMs ?? 10_000) / 2;
  const crashing = (async () => {
    if (opts.crash === false) return;
    await sleep(crashAt);
    const port = Number(new URL(runtime.apiUrl).port);
    await runtime.crash();
    // The fleet's servers live in the runtime's process: they die with it.
    await fleet?.crash();
    crashes++;
    await Promise.all(
      [names.queueUrl, names.dlqUrl].map((QueueUrl) =>
        apiClients.sqs.send(new PurgeQueueCommand({ QueueUrl })),
      ),
    );
    if (comfy) await restartComfy(200, comfy);
    runtime = await startRuntime(port);
    runtimes.push(runtime);
    // A new fleet, from zero, on the same registry.
    fleet?.start();
    say(`runtime crashed and restarted after ${(crashAt / 1000).toFixed(1)} s`);
  })();
  await Promise.all([workload.done, sleep(opts.minChaosMs ?? 10_000), crashing]);
  const chaosMs = Date.now() - started;

  // Faults off, then drain.
  const fired: Record<string, number> = {};
  for (const f of standIns().flatMap((s) => s.control.state().faults)) {
    const label =
      f.rule.kind === 'status'
        ? `${(f.rule as { status: number }).status}`
        : f.rule.kind === 'drop'
          ? 'dropped connection'
          : 'connection reset';
    fired[label] = (fired[label] ?? 0) + f.fired;
  }
  faultsOn = false;
  for (const [s, ids] of faultIds) for (const id of ids) s.control.removeFault(id);
  restarting = false;
  await Promise.all([restartLoop, killLoop, hangLoop]);
  s3Faults.enabled = false;
  kills.enabled = false;
  for (const r of runtimes) {
    r.duplicates.enabled = false;
    r.webhookDuplicates.enabled = false;
  }
  say(`faults off after ${(chaosMs / 1000).toFixed(1)} s; draining`);

  const repo = new DynamoTaskRepository({ client: apiClients.doc, tableName: names.tasksTable });
  const ids = plans.flatMap((p) => (p.taskId ? [p.taskId] : []));
  const drainStart = Date.now();
  let tasks = await readTasks(repo, ids);
  while (Date.now() - drainStart < (opts.drainTimeoutMs ?? 120_000)) {
    const open = ids.filter((id) => !isTerminal(tasks.get(id)?.status ?? 'queued'));
    if (open.length === 0) break;
    say(`  ${open.length} task(s) not terminal yet`);
    await sleep(1000);
    tasks = await readTasks(repo, ids);
  }
  // The receivers fail at random until every task has ended, so most terminal events meet them
  // failing; then the terminal events still being retried (within seconds) must arrive.
  receiver.failing = false;
  const terminalDelivered = () =>
    [...tasks.values()].every(
      (t) =>
        !isTerminal(t.status) ||
        receiver.received.some((d) => d.taskId === t.taskId && d.type === `task.${t.status}`),
    );
  while (Date.now() - drainStart < (opts.drainTimeoutMs ?? 120_000) && !terminalDelivered()) {
    say('  waiting for terminal webhook deliveries');
    await sleep(1000);
  }
  const drainMs = Date.now() - drainStart;
  // The fleet back to its minimum once idle (scale-in), then let go.
  if (fleet && opts.fleet) {
    say('  waiting for the fleet to scale in');
    await fleet.settleAndStop(opts.fleet.idleMs + 30_000);
  }
  // Late writes (a poller finishing a copy) land before the bucket is read.
  await sleep(1500);
  await runtime.stop();
  tasks = await readTasks(repo, ids);
  const objects = await listOutputs(apiClients, names.bucket);
  const webhookDeadLetters = Number(
    (
      await apiClients.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: names.webhookDlqUrl,
          AttributeNames: ['ApproximateNumberOfMessages'],
        }),
      )
    ).Attributes?.ApproximateNumberOfMessages ?? 0,
  );
  await receiver.close();
  const runs = standIns().flatMap((s) => s.control.runs());
  await comfy?.stop();
  output.stop();
  const logs = output.text();
  const fleetStats = fleet?.result();

  const input: ChaosInput = {
    seed: opts.seed,
    plans,
    tasks,
    runs,
    objects,
    maxRequeues: config.MAX_REQUEUES,
    duplicateDispatches: tasksLogged(logs, DUPLICATE_DISPATCH_MESSAGE),
    webhooks: {
      received: receiver.received,
      rejected: receiver.rejected,
      faults: receiver.faults,
      sqsDuplicates: sum(
        runtimes.map((r) => r.webhookDuplicates.inBatch + r.webhookDuplicates.resent),
      ),
      deadLetters: webhookDeadLetters,
    },
    chaosMs,
    drainMs,
    ...(fleetStats
      ? {
          fleet: {
            ...fleetStats,
            requeuedFromKilled: [...tasksLogged(logs, REQUEUE_MESSAGE)].filter((id) =>
              fleetStats.heldByKilled.has(id),
            ).length,
          },
        }
      : {}),
    faults: {
      restarts,
      comfyFaults: fired,
      s3WritesFailed: s3Faults.total(),
      sqsDuplicatesInBatch: sum(runtimes.map((r) => r.duplicates.inBatch)),
      sqsDuplicatesResent: sum(runtimes.map((r) => r.duplicates.resent)),
      apiRetries: workload.apiRetries(),
      pollerInvocations: {
        pollerA: sum(runtimes.map((r) => r.invocations().pollerA)),
        pollerB: sum(runtimes.map((r) => r.invocations().pollerB)),
      },
      workerErrors,
      submitsKilled: kills.tasks,
      runtimeCrashes: crashes,
      s3DeniedTasks: new Set([...s3Denied.tasks].filter((id) => tasks.has(id))),
      s3WritesDenied: s3Denied.denied,
      sweeperResends: countLogged(logs, SWEEPER_RESEND_MESSAGE),
      claimDeferrals: countLogged(logs, CLAIM_DEFERRAL_MESSAGE),
    },
  };
  const report = buildReport(input);
  return { input, report, text: formatReport(input, report), logs };
}
