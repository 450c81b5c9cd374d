/**
 * The one description of the product's stateful resources and their layout: tables and indexes,
 * queues, the bucket and its key layout. The functions' code (adapters, use-cases), the CDK stacks
 * (infra/stacks) and the local bootstrap (infra/local/bootstrap.ts) all read it, so the emulators and
 * AWS never drift apart. Pure data: no CDK or SDK imports here.
 */

/** The resources a function manifest (shared/manifest.ts) can name. */
export type TableName = 'tasks' | 'apiKeys';
export type QueueName = 'dispatch' | 'dispatchDeadLetter' | 'webhook' | 'webhookDeadLetter';
export type BucketName = 'outputs';

/** ComfyUI's port on every GPU instance the stacks create. */
export const COMFY_PORT = 8188;

export interface IndexSpec {
  name: string;
  partitionKey: string;
  sortKey?: string;
  /** 'ALL' | 'KEYS_ONLY' | list of attributes to INCLUDE. */
  projection: 'ALL' | 'KEYS_ONLY' | readonly string[];
}
export interface TableSpec {
  /** Logical id in CDK and default physical name locally. */
  id: string;
  localName: string;
  partitionKey: string;
  sortKey?: string;
  ttlAttribute?: string;
  indexes: readonly IndexSpec[];
}

/** Attributes the list and poller indexes carry (everything but the workflow blob). */
export const TASK_SUMMARY = [
  'taskId',
  'owner',
  'status',
  'createdAt',
  'updatedAt',
  'dispatchedAt',
  'startedAt',
  'finishedAt',
  'queuePosition',
  'error',
  'outputs',
  'metadata',
  'outputFormat',
  'template',
  'cancelRequested',
  'enqueuePending',
  'comfyServer',
  'comfyNumber',
  'requeues',
  'missingPolls',
  'copyFailures',
  'version',
] as const;

/**
 * Tasks table: one item per task (`pk = TASK#<id>`), plus idempotency records (`IDEM#<owner>#<key>`),
 * upload records (`UPLOAD#<id>`), the poller lease (`LEASE#<name>`) and each owner's rate-limit bucket
 * (`RATE#<owner>`).
 */
export const TASKS_TABLE: TableSpec = {
  id: 'TasksTable',
  localName: 'comfy-serverless-tasks',
  partitionKey: 'pk',
  ttlAttribute: 'expiresAt',
  indexes: [
    /** The caller's tasks, newest first: gsiOwner = owner, gsiCreated = `<createdAt>#<taskId>`. */
    { name: 'byOwner', partitionKey: 'gsiOwner', sortKey: 'gsiCreated', projection: TASK_SUMMARY },
    /** Same, filtered by status: gsiOwnerStatus = `<owner>#<status>`. */
    {
      name: 'byOwnerStatus',
      partitionKey: 'gsiOwnerStatus',
      sortKey: 'gsiCreated',
      projection: TASK_SUMMARY,
    },
    /** Sparse: only tasks at ComfyUI (dispatched, running) carry gsiActive. The poller's working set. */
    { name: 'atComfy', partitionKey: 'gsiActive', sortKey: 'gsiCreated', projection: TASK_SUMMARY },
    /**
     * Sparse: only queued tasks carry gsiQueued, sorted by `queuedAt` (since when they wait). The
     * sweeper reads the ones waiting longer than its grace period.
     */
    {
      name: 'queuedSince',
      partitionKey: 'gsiQueued',
      sortKey: 'queuedAt',
      projection: 'KEYS_ONLY',
    },
    /** Sparse: only non-terminal tasks carry gsiOwnerActive = owner. Counted for the per-owner cap. */
    {
      name: 'ownerActive',
      partitionKey: 'gsiOwnerActive',
      sortKey: 'gsiCreated',
      projection: 'KEYS_ONLY',
    },
  ],
};

/** Key prefix of the per-owner rate-limit buckets in the tasks table (their IAM grant names it). */
export const RATE_LIMIT_KEY_PREFIX = 'RATE#';

/** API keys: pk = sha256 of the key; keyId is the short public id used to revoke. */
export const API_KEYS_TABLE: TableSpec = {
  id: 'ApiKeysTable',
  localName: 'comfy-serverless-api-keys',
  partitionKey: 'keyHash',
  indexes: [{ name: 'byKeyId', partitionKey: 'keyId', projection: 'ALL' }],
};

export interface QueueSpec {
  id: string;
  localName: string;
  visibilityTimeoutSeconds: number;
  retentionSeconds: number;
  receiveWaitSeconds: number;
  deadLetter?: { queueId: string; maxReceiveCount: number };
}

/** Dispatcher Lambda timeout; the queue's visibility is six times it (AWS guidance). */
export const DISPATCHER_TIMEOUT_SECONDS = 30;

export const DISPATCH_DLQ: QueueSpec = {
  id: 'DispatchDeadLetterQueue',
  localName: 'comfy-serverless-dispatch-dlq',
  visibilityTimeoutSeconds: 60,
  retentionSeconds: 14 * 24 * 3600,
  receiveWaitSeconds: 20,
};

/**
 * Dispatch queue. Backpressure (ComfyUI full) re-sends a fresh delayed message rather than failing
 * the receive, so maxReceiveCount counts only real failures (ComfyUI unavailable, crashes).
 */
export const DISPATCH_QUEUE: QueueSpec = {
  id: 'DispatchQueue',
  localName: 'comfy-serverless-dispatch',
  visibilityTimeoutSeconds: 6 * DISPATCHER_TIMEOUT_SECONDS,
  retentionSeconds: 4 * 24 * 3600,
  receiveWaitSeconds: 20,
  deadLetter: { queueId: DISPATCH_DLQ.id, maxReceiveCount: 5 },
};

/** Webhook sender timeout; the webhook queue's visibility is six times it. */
export const WEBHOOK_SENDER_TIMEOUT_SECONDS = 30;

/**
 * Webhook events whose retries ran out (moved here by the sender), and any message the sender kept
 * failing on (redrive). Kept 14 days for inspection or a redrive back to the webhook queue.
 */
export const WEBHOOK_DLQ: QueueSpec = {
  id: 'WebhookDeadLetterQueue',
  localName: 'comfy-serverless-webhooks-dlq',
  visibilityTimeoutSeconds: 60,
  retentionSeconds: 14 * 24 * 3600,
  receiveWaitSeconds: 20,
};

/**
 * Webhook events, to the sender. A failed delivery comes back on the retry schedule (the sender
 * sets each message's visibility), so it lives for about a day: retention is 4 days. The redrive
 * count is a net for a sender that crashes on a message, far above the schedule's eight attempts.
 */
export const WEBHOOK_QUEUE: QueueSpec = {
  id: 'WebhookQueue',
  localName: 'comfy-serverless-webhooks',
  visibilityTimeoutSeconds: 6 * WEBHOOK_SENDER_TIMEOUT_SECONDS,
  retentionSeconds: 4 * 24 * 3600,
  receiveWaitSeconds: 20,
  deadLetter: { queueId: WEBHOOK_DLQ.id, maxReceiveCount: 20 },
};

export interface BucketSpec {
  id: string;
  localName: string;
  /** Lifecycle expiry per key prefix, in days. */
  expiry: readonly { prefix: string; days: number }[];
}

export const OUTPUTS_BUCKET: BucketSpec = {
  id: 'OutputsBucket',
  localName: 'comfy-serverless-outputs',
  expiry: [
    { prefix: 'outputs/', days: 30 },
    { prefix: 'uploads/', days: 2 },
    { prefix: 'workflows/', days: 30 },
  ],
};

/** S3 key layout. Every key a task writes starts with its own prefix. */
export const keys = {
  outputPrefix: (ownerSegment: string, taskId: string) => `outputs/${ownerSegment}/${taskId}/`,
  upload: (ownerSegment: string, uploadId: string) => `uploads/${ownerSegment}/${uploadId}`,
  /** A workflow too large to keep inline in its DynamoDB item (gzip JSON). */
  workflow: (ownerSegment: string, taskId: string) => `workflows/${ownerSegment}/${taskId}.json.gz`,
  /** The node catalogue of the ComfyUI pool (written by the poller, read by the API). */
  catalog: 'catalog/comfyui.json.gz',
};
