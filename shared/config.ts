/**
 * Configuration, parsed once from the environment at cold start (the only reader of process.env in
 * functions/ and shared/). A missing or malformed variable fails the cold start with its name.
 */
import { en } from 'zod/locales';
import * as z from 'zod/mini';
import { MAX_VISIBILITY_SECONDS } from './ports/message-visibility.js';
import { MAX_DELAY_SECONDS } from './ports/task-queue.js';
import { DEFAULT_RESOURCE_LIMITS } from './workflow/resource-limits.js';

// zod/mini keeps the Lambda bundles small; with its English messages they read as zod's own.
z.config(en());

const csv = z.pipe(
  z.string(),
  z.transform((s: string) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  ),
);
/** A whole number from its text, at least `min` (and at most `max`), `def` when unset. */
const int = (def: number, min = 0, max?: number) =>
  z._default(
    z.coerce
      .number()
      .check(z.int(), z.minimum(min), ...(max === undefined ? [] : [z.maximum(max)])),
    def,
  );
const bool = (def: boolean) =>
  z.pipe(
    z._default(z.enum(['true', 'false', '1', '0']), def ? 'true' : 'false'),
    z.transform((v: 'true' | 'false' | '1' | '0') => v === 'true' || v === '1'),
  );
/** A non-empty string. */
const name = () => z.string().check(z.minLength(1));
const url = () => z.string().check(z.url());

export const ConfigSchema = z.object({
  TASKS_TABLE_NAME: name(),
  API_KEYS_TABLE_NAME: name(),
  OUTPUTS_BUCKET_NAME: name(),
  /**
   * Not checked as a URL: fauxqs hands out `http://sqs.<region>.127.0.0.1:<port>/...`, which WHATWG
   * URL parsing rejects; with an SQS endpoint configured the SDK never uses the URL's host anyway.
   */
  DISPATCH_QUEUE_URL: name(),
  /** The webhook queue; unset: no webhook events are sent (submits with a webhook are refused). */
  WEBHOOK_QUEUE_URL: z.optional(name()),
  /** Where the sender moves events whose retries ran out. */
  WEBHOOK_DLQ_URL: z.optional(name()),
  /**
   * Seconds between webhook attempts (comma-separated); unset: Standard Webhooks' schedule, 5 s to
   * 10 h, eight attempts over about a day (shared/webhooks/schedule.ts).
   */
  WEBHOOK_RETRY_DELAYS_SECONDS: z.optional(
    z.pipe(
      z.pipe(
        csv,
        z.transform((parts: string[]) => parts.map(Number)),
      ),
      z
        .array(z.number().check(z.int(), z.minimum(0), z.maximum(MAX_VISIBILITY_SECONDS)))
        .check(z.minLength(1)),
    ),
  ),
  /**
   * Accept `http:` webhook URLs and loopback receivers (127.0.0.1, ::1). The local runtime sets it so
   * a developer can receive webhooks on their machine; deployed stacks never do.
   */
  WEBHOOK_ALLOW_LOCAL_HTTP: bool(false),
  /** Time limit of one webhook attempt, and how much of a receiver's answer is read. */
  WEBHOOK_TIMEOUT_MS: int(10_000, 100),
  WEBHOOK_MAX_RESPONSE_BYTES: int(4096, 0),
  /**
   * The poller holds each busy server's `/ws` for live progress and to fetch results the moment a
   * run ends (polling stays the safety net).
   */
  COMFYUI_EVENTS: bool(true),
  /** Fewest ms between two progress writes of one task, and between two `task.progress` webhooks. */
  PROGRESS_WRITE_INTERVAL_MS: int(1000, 100),
  PROGRESS_WEBHOOK_INTERVAL_MS: int(5000, 1000),
  /** How often a long-polling GET /v1/tasks/{id}?wait=N reads the task while it waits. */
  LONG_POLL_INTERVAL_MS: int(500, 50),
  /** Emulator endpoints (local runtime and tests only). */
  AWS_ENDPOINT_URL_DYNAMODB: z.optional(url()),
  AWS_ENDPOINT_URL_SQS: z.optional(url()),
  AWS_ENDPOINT_URL_S3: z.optional(url()),
  AWS_REGION: z._default(z.string(), 'us-east-1'),
  /** Comma-separated ComfyUI base URLs (the pool). */
  COMFYUI_URLS: z._default(csv, ['http://127.0.0.1:8188']),
  /** HTTP to each ComfyUI server (undici Pool): sockets, and connect/headers/body timeouts in ms. */
  COMFYUI_CONNECTIONS: int(8, 1),
  COMFYUI_CONNECT_TIMEOUT_MS: int(5000, 1),
  COMFYUI_HEADERS_TIMEOUT_MS: int(30_000, 1),
  COMFYUI_BODY_TIMEOUT_MS: int(60_000, 1),
  /** Extra attempts of an idempotent ComfyUI GET after a 5xx or a connection failure (POSTs: none). */
  COMFYUI_GET_RETRIES: int(2, 0),
  AUTH_MODE: z._default(z.enum(['apiKey', 'jwt']), 'apiKey'),
  JWT_ISSUER: z.optional(z.string()),
  JWT_AUDIENCE: z.optional(z.string()),
  /** JWKS URL for JWT mode (defaults to `<issuer>/.well-known/jwks.json`). */
  JWT_JWKS_URL: z.optional(url()),
  /** Or a PEM (SPKI) public key, for the local runtime's JWT verifier (not needed in AWS). */
  JWT_PUBLIC_KEY: z.optional(z.string()),
  OUTPUT_URL_TTL_SECONDS: int(3600, 1),
  UPLOAD_URL_TTL_SECONDS: int(900, 1),
  UPLOAD_MAX_BYTES: int(20 * 1024 * 1024, 1),
  MAX_ACTIVE_TASKS_PER_OWNER: int(50, 1),
  /** Workflow policy (shared/workflow/policy-config.ts, docs/security.md). */
  WORKFLOW_NODE_POLICY: z._default(z.enum(['deny', 'allow']), 'deny'),
  WORKFLOW_DENY_NODES: z._default(csv, []),
  WORKFLOW_ALLOW_NODES: z._default(csv, []),
  WORKFLOW_MAX_NODES: int(DEFAULT_RESOURCE_LIMITS.nodes, 1),
  WORKFLOW_MAX_PIXELS: int(DEFAULT_RESOURCE_LIMITS.pixels, 1),
  WORKFLOW_MAX_BATCH: int(DEFAULT_RESOURCE_LIMITS.batch, 1),
  WORKFLOW_MAX_STEPS: int(DEFAULT_RESOURCE_LIMITS.steps, 1),
  WORKFLOW_MAX_FRAMES: int(DEFAULT_RESOURCE_LIMITS.frames, 1),
  WORKFLOW_MAX_UPSCALE: z._default(
    z.coerce.number().check(z.positive()),
    DEFAULT_RESOURCE_LIMITS.upscale,
  ),
  /** Days a finished task is kept before DynamoDB TTL removes it. */
  TASK_RETENTION_DAYS: int(30, 1),
  /**
   * Fair use: most prompts of one owner at ComfyUI at once, over all servers; the owner's other
   * tasks wait in the dispatch queue, so their backlog never stands in front of other owners'.
   * Below MAX_IN_FLIGHT (e.g. 1 with the default 2) a slot of every server stays open to others.
   */
  MAX_AT_COMFY_PER_OWNER: int(2, 1),
  /** Most tasks queued or running at each ComfyUI server. */
  MAX_IN_FLIGHT: int(2, 1),
  /**
   * Sent as ComfyUI's client_id with every prompt; the poller's socket connects with it to receive the
   * prompts' events. ComfyUI sends them to the last socket connected with this id only: deployments
   * sharing a ComfyUI server need different ids.
   */
  COMFYUI_CLIENT_ID: z._default(name(), 'comfy-serverless'),
  /** How long the dispatcher trusts one GET /queue reading of a server, within an invocation. */
  COMFYUI_QUEUE_CACHE_MS: int(1000, 0),
  /** Dispatch records handled at once per batch. */
  DISPATCH_CONCURRENCY: int(10, 1),
  /**
   * Longest a dispatch record waits inside its invocation for a ComfyUI slot to free before it is
   * deferred (bounded by the invocation's remaining time), and how often it looks meanwhile.
   */
  DISPATCH_HOLD_MS: int(20_000, 0),
  DISPATCH_HOLD_POLL_MS: int(250, 10),
  /** Delay before a task that found every server full is looked at again: base * 2^n, capped. */
  DISPATCH_DEFER_BASE_SECONDS: int(1, 0),
  DISPATCH_DEFER_MAX_SECONDS: int(16, 0, MAX_DELAY_SECONDS),
  /**
   * How long a dispatcher's claim on a task holds while it submits it to ComfyUI; a copy of the
   * message that finds the claim comes back after it. Keep it above the dispatcher's timeout (30 s).
   */
  DISPATCH_CLAIM_SECONDS: int(60, 1),
  /** Every this many deferrals the dispatcher reads the task (drops cancelled, fails overdue). */
  DISPATCH_RECHECK_EVERY: int(8, 1),
  /** Visibility backoff of a failed dispatch message, by receive count: base * 2^(n-1), capped. */
  DISPATCH_RETRY_BASE_SECONDS: int(10, 0),
  DISPATCH_RETRY_MAX_SECONDS: int(300, 0, MAX_VISIBILITY_SECONDS),
  /** Times a task lost by ComfyUI is re-queued before failing with COMFYUI_LOST_TASK. */
  MAX_REQUEUES: int(3, 0),
  POLL_INTERVAL_MS: int(500, 50),
  /** How long one poller invocation keeps polling while tasks are active. */
  POLLER_RUN_MS: int(55_000, 0),
  POLLER_LEASE_MS: int(15_000, 1000),
  /** Kept free before the Lambda timeout: no poll starts later than this. */
  POLLER_TIMEOUT_MARGIN_MS: int(10_000, 0),
  /**
   * The poller Lambda the dispatcher starts after handing tasks to ComfyUI (deployed only; the local
   * runtime re-runs the poller itself). Unset: no kick, the schedule alone starts the poller.
   */
  POLLER_FUNCTION_NAME: z.optional(name()),
  /** Keep polling this long after the last active task is gone (0: exit at once). */
  POLLER_IDLE_GRACE_MS: int(0, 0),
  /** Output copies in flight at once per poller (each holds S3 multipart buffers). */
  POLLER_COPY_CONCURRENCY: int(2, 1),
  /** Consecutive polls with neither queue nor history entry before a task counts as lost. */
  POLLER_LOST_AFTER_POLLS: int(2, 1),
  /** No task counts as missing sooner than this after its dispatch. */
  POLLER_LOST_GRACE_MS: int(10_000, 0),
  /**
   * A finished run whose outputs cannot be copied into S3 (e.g. access denied) is tried again after
   * OUTPUT_COPY_RETRY_BASE_MS * 2^(n-1) (at most a minute), and fails with OUTPUT_COPY_FAILED after
   * this many attempts or this long since the first failure, whichever comes first.
   */
  /**
   * Most output files one task keeps (their records live in the task's DynamoDB item, 400 KB at
   * most): a run with more fails OUTPUT_LIMIT_EXCEEDED, as does one whose records would not fit.
   */
  MAX_OUTPUTS_PER_TASK: int(1000, 1),
  OUTPUT_COPY_MAX_ATTEMPTS: int(6, 1),
  OUTPUT_COPY_MAX_SECONDS: int(600, 1),
  OUTPUT_COPY_RETRY_BASE_MS: int(2000, 0),
  /**
   * The sweeper (run by the poller) re-sends the dispatch message of a task queued this long without
   * a sign of life. Longer than any normal wait: a deferred task or one waiting for a GPU to start is
   * looked at by the dispatcher every few minutes, and the fleet waits at most 15 minutes for capacity.
   */
  QUEUED_SWEEP_GRACE_SECONDS: int(1800, 1),
  /** How often the sweep runs (one DynamoDB Query when nothing is overdue). */
  QUEUED_SWEEP_EVERY_SECONDS: int(60, 1),
  /** Re-sends of one task's message before it fails DISPATCH_LOST. */
  QUEUED_SWEEP_MAX_RESENDS: int(3, 0),
  RUN_TIMEOUT_SECONDS: int(1800, 1),
  QUEUE_TIMEOUT_SECONDS: int(3600, 1),
  TEMPLATES_DIR: z.optional(z.string()),
  /**
   * Where the ComfyUI servers come from: `fixed` is COMFYUI_URLS; `fleet` is the fleet registry (the
   * GPU fleet's servers in the tasks table), with COMFYUI_URLS ignored.
   */
  COMFYUI_SERVERS: z._default(z.enum(['fixed', 'fleet']), 'fixed'),
  /** How long the dispatcher and the poller trust one reading of the fleet registry. */
  FLEET_REGISTRY_CACHE_MS: int(5000, 0),
  /** With a fleet: longest a task waits for a GPU to start before it fails NO_GPU_CAPACITY. */
  FLEET_CAPACITY_WAIT_SECONDS: int(900, 1),
  /** With a fleet: how often a task waiting for a GPU looks again (SQS delay, whole seconds). */
  FLEET_CAPACITY_POLL_SECONDS: int(5, 1),
  /** The fleet controller function the dispatcher starts when a task finds no GPU up (deployed only). */
  FLEET_CONTROLLER_FUNCTION_NAME: z.optional(name()),
  /** The controller's sizing: GPUs from min to max, prompts one GPU is expected to hold. */
  FLEET_MIN_GPUS: int(0, 0),
  FLEET_MAX_GPUS: int(2, 1),
  FLEET_PROMPTS_PER_GPU: int(4, 1),
  /** A GPU with no prompts for this long is stopped (down to FLEET_MIN_GPUS). */
  FLEET_IDLE_SECONDS: int(600, 0),
  /**
   * FLEET_IDLE_SECONDS becomes the longest a GPU is kept idle: one that recent demand would not bring a
   * prompt within a start (FLEET_START_SECONDS) is stopped as soon as it is empty.
   */
  FLEET_IDLE_FOLLOWS_DEMAND: bool(false),
  /** A GPU still not answering this long after launch is replaced. */
  FLEET_BOOT_TIMEOUT_SECONDS: int(1800, 60),
  /**
   * A GPU up whose ComfyUI has not answered the controller for this long (a hung or crashed-for-good
   * ComfyUI on a running instance) is replaced; its tasks go back to the queue.
   */
  FLEET_UNRESPONSIVE_SECONDS: int(300, 30),
  /** Expected launch-to-ready time and prompt run time: a start a short backlog would not fill is skipped. */
  FLEET_START_SECONDS: int(120, 0),
  FLEET_PROMPT_SECONDS: int(20, 1),
  /** The Auto Scaling group of the GPUs and its drain lifecycle hook (deployed only). */
  FLEET_GROUP_NAME: z.optional(name()),
  FLEET_DRAIN_HOOK_NAME: z._default(name(), 'comfy-serverless-drain'),
  /** One controller invocation ticks every FLEET_TICK_MS for FLEET_CONTROLLER_RUN_MS (then the schedule starts the next). */
  FLEET_TICK_MS: int(10_000, 100),
  FLEET_CONTROLLER_RUN_MS: int(50_000, 0),
  /**
   * Per-owner rate limit of the API (a token bucket in the tasks table): sustained requests per
   * second and the burst; 0 turns it off. The stage throttle stays the global ceiling.
   */
  OWNER_RATE_LIMIT_PER_SECOND: z._default(z.coerce.number().check(z.minimum(0)), 20),
  OWNER_RATE_LIMIT_BURST: int(40, 1),
  /** How often the poller re-reads each server's node catalogue (/object_info, /models). */
  CATALOG_REFRESH_SECONDS: int(300, 1),
  /** How long an API function trusts the node catalogue it read. */
  CATALOG_CACHE_SECONDS: int(60, 0),
  LOG_LEVEL: z._default(z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT']), 'INFO'),
});
export type Config = Readonly<z.infer<typeof ConfigSchema>>;
/** The name of a config variable. */
export type ConfigKey = keyof Config;

/** What every ComfyUI client is built from (its socket pool, timeouts and GET retries). */
export const COMFY_CLIENT_CONFIG = [
  'COMFYUI_CONNECTIONS',
  'COMFYUI_CONNECT_TIMEOUT_MS',
  'COMFYUI_HEADERS_TIMEOUT_MS',
  'COMFYUI_BODY_TIMEOUT_MS',
  'COMFYUI_GET_RETRIES',
] as const satisfies readonly ConfigKey[];

/** What the per-owner rate limit of the API functions is built from. */
export const OWNER_RATE_LIMIT_CONFIG = [
  'OWNER_RATE_LIMIT_PER_SECOND',
  'OWNER_RATE_LIMIT_BURST',
] as const satisfies readonly ConfigKey[];

/** `NAME: problem; NAME: problem` for a failed parse. */
export const formatConfigProblems = (error: { issues: readonly z.core.$ZodIssue[] }): string =>
  error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    throw new Error(`Invalid configuration: ${formatConfigProblems(parsed.error)}`);
  }
  return Object.freeze(parsed.data);
}
