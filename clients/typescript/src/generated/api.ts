// Generated from docs/openapi.json by `npm run client:types`; do not edit.
// A unit test fails when this file and the document differ.

export type SubmitTaskRequest = SubmitWorkflowRequest | SubmitTemplateRequest;

export interface SubmitWorkflowRequest {
  /** ComfyUI API-format graph ("Export (API)"): node id -> { class_type, inputs }; links are ["nodeId", outputIndex]; at most 500 nodes. An input "upload:<uploadId>" refers to an upload. */
  workflow: Record<string, {
    class_type: string;
    inputs: Record<string, unknown>;
    _meta?: {
      title?: string;
      [key: string]: unknown;
    };
    [key: string]: unknown;
  }>;
  /** A small JSON object echoed back with the task (at most 4096 bytes). */
  metadata?: Record<string, unknown>;
  /** Convert the task's still images to this format while storing them (video and audio are refused). Converted images carry no metadata: the prompt and workflow ComfyUI embeds in PNGs are dropped. */
  output?: {
    format: 'png' | 'webp' | 'jpeg';
    /** webp and jpeg quality; default 80. png is lossless and ignores it. */
    quality?: number;
  };
  /** Send signed events (Standard Webhooks) about this task to this URL; see docs/webhooks.md. */
  webhook?: {
    /** https URL of a public host (resolved and checked: private, loopback, link-local and metadata addresses are refused; redirects are not followed). */
    url: string;
    /** Events to send; default task.succeeded, task.failed, task.cancelled. */
    events?: Array<'task.running' | 'task.progress' | 'task.succeeded' | 'task.failed' | 'task.cancelled'>;
  };
}

export interface SubmitTemplateRequest {
  /** GET /v1/templates */
  template: string;
  /** The template's params, per its JSON Schema. */
  params?: Record<string, unknown>;
  /** A small JSON object echoed back with the task (at most 4096 bytes). */
  metadata?: Record<string, unknown>;
  /** Convert the task's still images to this format while storing them (video and audio are refused). Converted images carry no metadata: the prompt and workflow ComfyUI embeds in PNGs are dropped. */
  output?: {
    format: 'png' | 'webp' | 'jpeg';
    /** webp and jpeg quality; default 80. png is lossless and ignores it. */
    quality?: number;
  };
  /** Send signed events (Standard Webhooks) about this task to this URL; see docs/webhooks.md. */
  webhook?: {
    /** https URL of a public host (resolved and checked: private, loopback, link-local and metadata addresses are refused; redirects are not followed). */
    url: string;
    /** Events to send; default task.succeeded, task.failed, task.cancelled. */
    events?: Array<'task.running' | 'task.progress' | 'task.succeeded' | 'task.failed' | 'task.cancelled'>;
  };
}

export interface CreateUploadRequest {
  filename: string;
  contentType: 'image/png' | 'image/jpeg' | 'image/webp' | 'image/gif';
  /** Bytes; at most the configured UPLOAD_MAX_BYTES. */
  size: number;
}

export interface ErrorResponse {
  error: {
    /** Stable SCREAMING_SNAKE code; see docs/api.md. */
    code: string;
    /** What was wrong, for a person. */
    message: string;
    /** E.g. `issues`: `[{ path, message }]`. */
    details?: unknown;
  };
}

export interface SubmitTaskResponse {
  /** Task id (lowercase UUID). */
  taskId: string;
  status: 'queued' | 'dispatched' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  createdAt: string;
}

export interface TaskView {
  /** Task id (lowercase UUID). */
  taskId: string;
  status: 'queued' | 'dispatched' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** Place in ComfyUI's queue, 0-based. */
  queuePosition?: number;
  /** While queued: no GPU was up to take the task and one is starting for it. */
  waitingFor?: 'gpu';
  /** Since when the task has been waiting for a GPU. */
  waitingSince?: string;
  cancelRequested?: boolean;
  template?: string;
  error?: {
    code: string;
    message: string;
    nodeId?: string;
    nodeType?: string;
    details?: unknown;
  };
  outputs: OutputView[];
  metadata?: Record<string, unknown>;
  /** Convert the task's still images to this format while storing them (video and audio are refused). Converted images carry no metadata: the prompt and workflow ComfyUI embeds in PNGs are dropped. */
  output?: {
    format: 'png' | 'webp' | 'jpeg';
    /** webp and jpeg quality; default 80. png is lossless and ignores it. */
    quality?: number;
  };
  /** While running: how far the workflow has come. */
  progress?: {
    /** Share of the whole workflow done, 0..1; never goes back. */
    fraction: number;
    /** Step of the node executing now (e.g. sampler step). */
    step?: number;
    steps?: number;
    nodeId?: string;
    nodeType?: string;
    updatedAt: string;
  };
  webhook?: {
    url: string;
    events: Array<'task.running' | 'task.progress' | 'task.succeeded' | 'task.failed' | 'task.cancelled'>;
    deliveries: Array<{
      event: 'task.running' | 'task.progress' | 'task.succeeded' | 'task.failed' | 'task.cancelled';
      /** The `webhook-id` header: the same on every retry. */
      webhookId: string;
      attempts: number;
      lastStatus?: number;
      lastError?: string;
      lastAttemptAt?: string;
      deliveredAt?: string;
      /** Retries ran out; the event was dead-lettered. */
      abandonedAt?: string;
    }>;
  };
  /** Grows with every change of the task; pass it as `since` to wait for the next. */
  version: number;
}

export interface OutputView {
  nodeId: string;
  filename: string;
  contentType: string;
  /** Bytes stored (after conversion, when the task asked for one). */
  size: number;
  /** Bytes ComfyUI wrote, when the output was converted to the asked format. */
  originalSize?: number;
  /** Type ComfyUI wrote, when the output was converted. */
  originalContentType?: string;
  /** Presigned S3 GET. */
  url: string;
  expiresAt: string;
}

export interface ListTasksResponse {
  items: TaskView[];
  nextCursor?: string;
}

export interface TemplatesResponse {
  items: Array<{
    name: string;
    description: string;
    /** JSON Schema of `params`. */
    params: Record<string, unknown>;
  }>;
}

export interface ModelsResponse {
  /** Model file names by ComfyUI model folder (checkpoints, loras, vae, ...), as the servers list them; empty until the servers have published their catalogue. */
  models: Record<string, string[]>;
}

export interface CreateUploadResponse {
  uploadId: string;
  /** Presigned S3 PUT; send the image with the headers below. */
  url: string;
  expiresAt: string;
  maxBytes: number;
  headers: Record<string, string>;
}

/** Query parameters of GET /v1/tasks. */
export interface ListTasksQuery {
  status?: 'queued' | 'dispatched' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  limit?: number;
  /** nextCursor of the previous page. */
  cursor?: string;
}

/** Query parameters of GET /v1/tasks/{taskId}. */
export interface GetTaskQuery {
  /** Long polling: answer as soon as the task's version is above `since` (or it is finished), or after this many seconds with the task as it is; at most 20. */
  wait?: number;
  /** The `version` the caller has; default: the version when the request arrives. */
  since?: number;
}

/** Every operation of the API by its operationId. */
export const OPERATIONS = {
  submitTask: { method: 'POST', path: '/v1/tasks' },
  listTasks: { method: 'GET', path: '/v1/tasks' },
  getTask: { method: 'GET', path: '/v1/tasks/{taskId}' },
  cancelTask: { method: 'POST', path: '/v1/tasks/{taskId}/cancel' },
  listTemplates: { method: 'GET', path: '/v1/templates' },
  listModels: { method: 'GET', path: '/v1/models' },
  createUpload: { method: 'POST', path: '/v1/uploads' },
} as const;

export type OperationId = keyof typeof OPERATIONS;
