/**
 * How a function describes itself: one `functions/<name>/manifest.ts` per function, read by its Lambda
 * entry (which config variables it validates), the CDK stacks (trigger, timeout, memory, VPC, IAM
 * grants and environment), the local runtime (`npm start`), the benchmarks and the chaos run. Pure
 * data: no CDK or SDK imports here, so the Lambda bundles stay small.
 */
import * as z from 'zod/mini';
import { type Config, type ConfigKey, ConfigSchema, formatConfigProblems } from './config.js';
import type { RouteName } from './http/routes.js';
import type { BucketName, QueueName, TableName } from './resources.js';

/** What starts the function. */
type Trigger =
  /** API Gateway routes (declared in shared/http/routes.ts), behind the API's authorizer. */
  | { readonly kind: 'http'; readonly routes: readonly RouteName[] }
  /** The HTTP API's Lambda REQUEST authorizer (payload 2.0, simple responses). */
  | {
      readonly kind: 'authorizer';
      /** Where the credential is; a request without it is a 401 without calling the function. */
      readonly identitySource: readonly string[];
      /** Verdicts are cached per credential this long (a revoked key works that long). */
      readonly resultsCacheTtlSeconds: number;
    }
  /** An SQS event source mapping with partial batch responses. */
  | {
      readonly kind: 'sqs';
      readonly queue: QueueName;
      readonly batchSize: number;
      /** Most concurrent invocations (SQS `maxConcurrency`, at least 2). */
      readonly maxConcurrency: number;
    }
  /** An EventBridge schedule. */
  | { readonly kind: 'schedule'; readonly rateMinutes: number };

/** An AWS resource the function touches, and how: its IAM grants and environment come from these. */
export type ResourceUse =
  | { readonly table: TableName; readonly access: 'read' | 'readWrite' }
  /**
   * The per-owner rate limit's bucket items (`RATE#<owner>`) of the table: UpdateItem on those keys
   * only, so a function that otherwise only reads writes nothing else.
   */
  | { readonly table: TableName; readonly access: 'rateLimit' }
  | {
      readonly queue: QueueName;
      /**
       * `changeVisibility`: of messages it received (a retry delay), beyond its trigger's grants;
       * `count`: the queue's approximate lengths (GetQueueAttributes), e.g. the backlog.
       */
      readonly access: 'send' | 'changeVisibility' | 'count';
    }
  | {
      readonly bucket: BucketName;
      /** The keys, as in an IAM resource: one key, or a prefix and `*` (`outputs/*`). */
      readonly keys: string;
      readonly access: 'read' | 'put' | 'readWrite' | 'delete';
    }
  /** Another function it starts (`lambda:InvokeFunction` on that function only). */
  | { readonly function: string; readonly access: 'invoke' }
  /** The GPU fleet's Auto Scaling group: sizes it, protects and terminates its instances. */
  | { readonly gpuFleet: 'gpus'; readonly access: 'control' };

/** The variable that carries each resource's name (or URL) to the functions that use it. */
const RESOURCE_VARIABLES = {
  table: { tasks: 'TASKS_TABLE_NAME', apiKeys: 'API_KEYS_TABLE_NAME' },
  queue: {
    dispatch: 'DISPATCH_QUEUE_URL',
    dispatchDeadLetter: undefined,
    webhook: 'WEBHOOK_QUEUE_URL',
    webhookDeadLetter: 'WEBHOOK_DLQ_URL',
  },
  bucket: { outputs: 'OUTPUTS_BUCKET_NAME' },
  function: {
    poller: 'POLLER_FUNCTION_NAME',
    'fleet-controller': 'FLEET_CONTROLLER_FUNCTION_NAME',
  },
  gpuFleet: { gpus: 'FLEET_GROUP_NAME' },
} as const satisfies {
  table: Record<TableName, ConfigKey>;
  queue: Record<QueueName, ConfigKey | undefined>;
  bucket: Record<BucketName, ConfigKey>;
  function: Record<string, ConfigKey>;
  gpuFleet: Record<'gpus', ConfigKey>;
};

/** The variable a resource use needs, if any. */
export function resourceVariable(use: ResourceUse): ConfigKey | undefined {
  if ('table' in use) return RESOURCE_VARIABLES.table[use.table];
  if ('queue' in use) return RESOURCE_VARIABLES.queue[use.queue];
  if ('bucket' in use) return RESOURCE_VARIABLES.bucket[use.bucket];
  if ('gpuFleet' in use) return RESOURCE_VARIABLES.gpuFleet[use.gpuFleet];
  return (RESOURCE_VARIABLES.function as Record<string, ConfigKey>)[use.function];
}

export interface FunctionManifest<K extends ConfigKey = ConfigKey> {
  /** The folder under functions/ (its index.ts exports `handler`). */
  readonly name: string;
  /** What the function does (the Lambda description). */
  readonly description: string;
  readonly trigger: Trigger;
  readonly timeoutSeconds: number;
  /** Memory in MB (CPU and network bandwidth grow with it). */
  readonly memoryMb: number;
  /** Runs in the ComfyUI VPC (reaches ComfyUI, gets COMFYUI_URLS). */
  readonly vpc: boolean;
  /** Every config variable the function reads (shared/config.ts); it validates these and no other. */
  readonly config: readonly K[];
  readonly resources: readonly ResourceUse[];
  /**
   * Packages with native code (e.g. sharp), installed beside the bundle for Lambda's platform.
   * @default none
   */
  readonly nativeModules?: readonly string[];
  /** Values the deployment sets for some of `config` (e.g. the poller's run length). */
  readonly environment?: Readonly<Partial<Record<K, string>>>;
}

/** The config a function's code sees: exactly the variables its manifest lists. */
export type ConfigOf<M> = M extends FunctionManifest<infer K> ? Readonly<Pick<Config, K>> : never;

/**
 * Declares a function. Fails at import when the manifest contradicts itself: a resource whose
 * variable is not in `config`, or a fixed value for a variable it does not read.
 */
export function defineFunction<const K extends ConfigKey>(
  manifest: FunctionManifest<K>,
): FunctionManifest<K> {
  const reads = new Set<string>(manifest.config);
  for (const use of manifest.resources) {
    const variable = resourceVariable(use);
    if (variable && !reads.has(variable)) {
      throw new Error(`${manifest.name}: uses a resource through ${variable} but does not read it`);
    }
  }
  for (const variable of Object.keys(manifest.environment ?? {})) {
    if (!reads.has(variable))
      throw new Error(`${manifest.name}: sets ${variable} but does not read it`);
  }
  if (manifest.vpc !== reads.has('COMFYUI_URLS')) {
    throw new Error(`${manifest.name}: reads COMFYUI_URLS exactly when it runs in the VPC`);
  }
  return manifest;
}

/**
 * Parses the function's own variables from the environment, once, at cold start. A missing or
 * malformed variable fails the cold start with its name; variables of other functions are ignored.
 */
export function loadFunctionConfig<K extends ConfigKey>(
  manifest: FunctionManifest<K>,
  env: Record<string, string | undefined> = process.env,
): Readonly<Pick<Config, K>> {
  const mask = Object.fromEntries(manifest.config.map((k) => [k, true]));
  const schema = z.pick(ConfigSchema, mask as never) as unknown as z.ZodMiniType<Pick<Config, K>>;
  const parsed = schema.safeParse(env);
  if (!parsed.success)
    throw new Error(`Invalid configuration: ${formatConfigProblems(parsed.error)}`);
  return Object.freeze(parsed.data);
}
