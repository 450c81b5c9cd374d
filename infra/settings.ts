/**
 * Deployment settings: every CDK context option the app understands, its default, and its parsing.
 * infra/bin/app.ts reads the context and hands the raw values to `parseSettings`; nothing else in
 * infra/ reads context or the environment. Options are set in cdk.json or with `-c name=value`
 * (either `name` or `comfy-serverless:name`). docs/deploy.md lists them for operators.
 */
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import * as z from 'zod';
import {
  API_KEY_AUTHORIZER,
  FLEET_FUNCTIONS,
  FUNCTIONS,
  manifestOf,
} from '../functions/manifests.js';
import { ConfigSchema } from '../shared/config.js';
import { API_THROTTLE } from '../shared/http/routes.js';
import { CustomNodeSpecSchema } from './constructs/comfy-custom-nodes.js';

/** A model file ComfyUI needs, downloaded once at first boot of each GPU instance. */
const ModelSpecSchema = z.object({
  /** https:// URL (Hugging Face, Civitai...) or s3://bucket/key (fetched through the S3 endpoint). */
  url: z.string().regex(/^(https:\/\/|s3:\/\/)[^\s'"\\`$]+$/, 'an https:// or s3:// URL'),
  /** Folder under ComfyUI's models/ (checkpoints, loras, vae, ...). */
  folder: z.string().regex(/^[a-z0-9_-]+(\/[a-z0-9_-]+)*$/i, 'a relative folder name'),
  /** File name the workflows refer to. */
  filename: z.string().regex(/^[\w.+-]+$/, 'a plain file name'),
});
export type ModelSpec = z.infer<typeof ModelSpecSchema>;

/** SD 1.5 (4.3 GB): the checkpoint the built-in templates (shared/templates/builtin) name. */
export const DEFAULT_MODELS: readonly ModelSpec[] = [
  {
    url: 'https://huggingface.co/Comfy-Org/stable-diffusion-v1-5-archive/resolve/main/v1-5-pruned-emaonly.safetensors',
    folder: 'checkpoints',
    filename: 'v1-5-pruned-emaonly.safetensors',
  },
];

const str = (def: string) =>
  z.preprocess((v) => (v === '' ? undefined : v), z.string().default(def));
const optStr = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());
const int = (def: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(def);
const bool = (def: boolean) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? v.toLowerCase() === 'true' || v === '1' : v),
    z.boolean().default(def),
  );
const list = z.preprocess(
  (v) =>
    typeof v === 'string'
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : v,
  z.array(z.string().min(1)).default([]),
);
const json = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (typeof v === 'string' ? JSON.parse(v) : v), schema);

/** Variables the stacks set themselves (resource names, URLs): not operator options. */
const STACK_OWNED_VARIABLES = new Set([
  'TASKS_TABLE_NAME',
  'API_KEYS_TABLE_NAME',
  'OUTPUTS_BUCKET_NAME',
  'DISPATCH_QUEUE_URL',
  'AWS_ENDPOINT_URL_DYNAMODB',
  'AWS_ENDPOINT_URL_SQS',
  'AWS_ENDPOINT_URL_S3',
  'AWS_REGION',
  'COMFYUI_URLS',
  'COMFYUI_SERVERS',
  'POLLER_FUNCTION_NAME',
  'FLEET_CONTROLLER_FUNCTION_NAME',
  'FLEET_GROUP_NAME',
  'FLEET_DRAIN_HOOK_NAME',
  'FLEET_MIN_GPUS',
  'FLEET_MAX_GPUS',
  'FLEET_IDLE_SECONDS',
  'FLEET_IDLE_FOLLOWS_DEMAND',
  'FLEET_CAPACITY_WAIT_SECONDS',
]);
const configShape: Record<string, { safeParse(v: unknown): { success: boolean } }> =
  ConfigSchema.shape;
/** Variables some function reads (functions/<name>/manifest.ts). */
const readByFunctions = new Set<string>(
  [...FUNCTIONS, ...FLEET_FUNCTIONS].flatMap((m) => m.config),
);

/**
 * Extra shared/config.ts variables, checked against its schema at synth; each function gets those
 * its manifest reads.
 */
const functionEnv = json(z.record(z.string(), z.coerce.string()))
  .default({})
  .superRefine((env, ctx) => {
    for (const [name, value] of Object.entries(env)) {
      const schema = configShape[name];
      if (!schema || STACK_OWNED_VARIABLES.has(name) || !readByFunctions.has(name)) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'not a configurable variable' });
      } else if (!schema.safeParse(value).success) {
        ctx.addIssue({ code: 'custom', path: [name], message: `invalid value ${value}` });
      }
    }
  });

/** The dispatcher's SQS concurrency as its manifest declares it. */
function dispatcherConcurrency(): number {
  const { trigger } = manifestOf('dispatcher');
  return trigger.kind === 'sqs' ? trigger.maxConcurrency : 2;
}

const SettingsSchema = z
  .object({
    stackPrefix: str('ComfyServerless').pipe(z.string().regex(/^[A-Za-z][A-Za-z0-9-]*$/)),
    authMode: z.enum(['apiKey', 'jwt']).default('apiKey'),
    jwtIssuer: optStr.pipe(z.string().url().optional()),
    jwtAudience: list,
    corsOrigins: list,
    alarmEmail: optStr.pipe(z.string().email().optional()),
    natGateway: bool(true),
    availabilityZones: list,
    instanceType: str('g6.xlarge').pipe(z.string().regex(/^[a-z0-9-]+\.[a-z0-9]+$/)),
    minGpus: int(0, 0, 100),
    maxGpus: int(2, 1, 100),
    gpuIdleMinutes: int(10, 1, 24 * 60),
    gpuIdleFollowsDemand: bool(false),
    gpuCapacityWaitMinutes: int(15, 1, 12 * 60),
    warmPool: int(0, 0, 100),
    spotTypes: list.pipe(z.array(z.string().regex(/^[a-z0-9-]+\.[a-z0-9]+$/))),
    customNodes: json(z.array(CustomNodeSpecSchema)).default([]),
    volumeSize: int(100, 75, 16_384),
    comfyuiRef: str('v0.3.64').pipe(z.string().regex(/^[\w./-]+$/)),
    models: json(z.array(ModelSpecSchema)).default([...DEFAULT_MODELS]),
    amiId: optStr.pipe(
      z
        .string()
        .regex(/^ami-[0-9a-f]+$/)
        .optional(),
    ),
    torchIndexUrl: str('https://download.pytorch.org/whl/cu128').pipe(z.string().url()),
    comfyCleanupHours: int(24, 1, 24 * 30),
    apiRateLimit: int(API_THROTTLE.rateLimit, 1, 10_000),
    apiBurstLimit: int(API_THROTTLE.burstLimit, 1, 5_000),
    authorizerCacheSeconds: int(API_KEY_AUTHORIZER.resultsCacheTtlSeconds, 0, 3600),
    dispatchMaxConcurrency: int(dispatcherConcurrency(), 2, 1000),
    pollerReservedConcurrency: int(0, 0, 1),
    functionEnv,
    logRetentionDays: int(30, 1, 3653).refine(
      (days) => (Object.values(RetentionDays) as unknown[]).includes(days),
      'one of the retention periods CloudWatch Logs offers (1, 3, 5, 7, 14, 30, 60, 90, 180, 365, ...)',
    ),
  })
  .superRefine((s, ctx) => {
    if (s.minGpus > s.maxGpus) {
      ctx.addIssue({ code: 'custom', path: ['minGpus'], message: 'more than maxGpus' });
    }
    if (s.warmPool > 0 && s.spotTypes.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['warmPool'],
        message: 'a warm pool cannot be used with spotTypes (EC2 does not allow it)',
      });
    }
    if (s.authMode === 'jwt' && (!s.jwtIssuer || s.jwtAudience.length === 0)) {
      ctx.addIssue({
        code: 'custom',
        path: ['jwtIssuer'],
        message: 'authMode=jwt needs jwtIssuer and jwtAudience',
      });
    }
  });
export type DeploySettings = z.infer<typeof SettingsSchema>;

/** The context names `parseSettings` looks up. */
export const SETTING_NAMES = Object.keys(SettingsSchema.shape) as (keyof DeploySettings)[];

/**
 * Parse raw context values (strings from `-c`, or JSON values from cdk.json) into settings, failing
 * with the names of the bad options.
 */
export function parseSettings(raw: Partial<Record<keyof DeploySettings, unknown>>): DeploySettings {
  const parsed = SettingsSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid CDK context: ${problems}`);
  }
  return parsed.data;
}
