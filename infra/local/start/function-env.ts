/**
 * The environment every local function gets, the same variables the CDK stacks set (see
 * shared/config.ts): resource names and emulator endpoints from the bootstrap, the ComfyUI URL,
 * and any other config variable the developer set in their own environment (POLL_INTERVAL_MS,
 * AUTH_MODE, ...). Local defaults keep the console readable: function logs at WARN and EMF metrics
 * off, unless set.
 */
import { randomBytes } from 'node:crypto';
import { ConfigSchema } from '../../../shared/config.js';
import type { LocalResourceNames } from '../bootstrap.js';

export const LOCAL_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
} as const;

export interface FunctionEnvInput {
  names: LocalResourceNames;
  dynamodbEndpoint: string;
  s3SqsEndpoint: string;
  comfyUrls: readonly string[];
  region: string;
  /** The developer's environment. */
  env: Record<string, string | undefined>;
}

export function functionEnvironment(input: FunctionEnvInput): Record<string, string> {
  const passThrough: Record<string, string> = {};
  for (const key of Object.keys(ConfigSchema.shape)) {
    const v = input.env[key];
    if (v !== undefined && v !== '') passThrough[key] = v;
  }
  return {
    LOG_LEVEL: 'WARN',
    POWERTOOLS_METRICS_DISABLED: 'true',
    // ComfyUI sends a prompt's events to the one socket connected with the prompt's client id, the
    // last one to connect: each start has its own, so two runtimes sharing a ComfyUI server (a team's
    // development server) do not take each other's progress and completion events.
    COMFYUI_CLIENT_ID: `comfy-serverless-local-${randomBytes(4).toString('hex')}`,
    ...passThrough,
    ...(input.env.POWERTOOLS_METRICS_DISABLED
      ? { POWERTOOLS_METRICS_DISABLED: input.env.POWERTOOLS_METRICS_DISABLED }
      : {}),
    TASKS_TABLE_NAME: input.names.tasksTable,
    API_KEYS_TABLE_NAME: input.names.apiKeysTable,
    OUTPUTS_BUCKET_NAME: input.names.bucket,
    DISPATCH_QUEUE_URL: input.names.queueUrl,
    WEBHOOK_QUEUE_URL: input.names.webhookQueueUrl,
    WEBHOOK_DLQ_URL: input.names.webhookDlqUrl,
    // A developer's receiver on 127.0.0.1 over http (deployed stacks: public https only).
    WEBHOOK_ALLOW_LOCAL_HTTP: 'true',
    AWS_ENDPOINT_URL_DYNAMODB: input.dynamodbEndpoint,
    AWS_ENDPOINT_URL_SQS: input.s3SqsEndpoint,
    AWS_ENDPOINT_URL_S3: input.s3SqsEndpoint,
    AWS_REGION: input.region,
    AWS_DEFAULT_REGION: input.region,
    ...LOCAL_CREDENTIALS,
    COMFYUI_URLS: input.comfyUrls.join(','),
  };
}
