/**
 * `ComfyServerlessClient`: the task API over `fetch`, nothing else, so it runs in browsers, React
 * Native and Node >= 20. Requests that are safe to repeat (reads, cancels, and submits, which carry
 * an Idempotency-Key by default) are retried on network failures, 429, 502, 503 and 504 with
 * exponential backoff and jitter (honouring Retry-After); nothing else is.
 */
import { ComfyServerlessError, errorFromResponse } from './errors.js';
import type {
  CreateUploadResponse,
  ListTasksQuery,
  ListTasksResponse,
  ModelsResponse,
  SubmitTaskRequest,
  SubmitTaskResponse,
  SubmitTemplateRequest,
  TaskView,
  TemplatesResponse,
} from './generated/api.js';
import { OPERATIONS } from './generated/api.js';
import { abortable, sleep } from './timing.js';

export type TaskStatus = TaskView['status'];
export type Template = TemplatesResponse['items'][number];

/** Statuses a task never leaves. */
export const TERMINAL_STATUSES: readonly TaskStatus[] = ['succeeded', 'failed', 'cancelled'];
export const isTerminal = (status: TaskStatus): boolean => TERMINAL_STATUSES.includes(status);

interface CommonOptions {
  /** The API's base URL, e.g. `https://abc123.execute-api.eu-west-1.amazonaws.com`. */
  baseUrl: string;
  /** Another fetch (a polyfill, a test double, one with a proxy agent). @default globalThis.fetch */
  fetch?: typeof fetch;
  /** How often a retryable request is tried again. @default 3 */
  maxRetries?: number;
  /** How long one HTTP request may take. @default 30_000 */
  requestTimeoutMs?: number;
}

export type ClientOptions = CommonOptions &
  (
    | {
        /** An API key (`csk_...`): for servers and scripts. Never ship one in an app. */
        apiKey: string;
        token?: never;
      }
    | {
        /**
         * A JWT (e.g. a Cognito ID or access token), or a function returning a current one (called
         * before every request, so it can refresh).
         */
        token: string | (() => string | Promise<string>);
        apiKey?: never;
      }
  );

/** Where deliveries of a task's events go, and which events (default: the terminal ones). */
export type WebhookTarget = NonNullable<SubmitTemplateRequest['webhook']>;

export interface SubmitOptions {
  /**
   * Same key and same body within 24 hours return the same task instead of a new one. A random key
   * is generated when omitted, so the client's own retries never submit twice; pass `false` to send
   * none (then the submit is not retried).
   */
  idempotencyKey?: string | false;
  /** Deliveries of the task's events to this URL, signed (see `verifyWebhook`). */
  webhook?: WebhookTarget;
  signal?: AbortSignal;
}

export interface WaitOptions {
  /** Called with the task each time it changes (status, queue position, progress). */
  onProgress?: (task: TaskView) => void;
  signal?: AbortSignal;
  /** Give up (throwing `TIMEOUT`) after this long. @default no limit */
  timeoutMs?: number;
  /** First pause between polls when the API has no long polling; grows to `maxIntervalMs`. @default 500 */
  intervalMs?: number;
  /** @default 5_000 */
  maxIntervalMs?: number;
}

export interface UploadOptions {
  /** The image's type; taken from a Blob's `type` when omitted. */
  contentType?: 'image/png' | 'image/jpeg' | 'image/webp' | 'image/gif';
  /** @default 'image' plus an extension for the type */
  filename?: string;
  signal?: AbortSignal;
}

export type UploadData = Blob | ArrayBuffer | Uint8Array;

interface RequestInit_ {
  method: string;
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  retry: boolean;
  signal?: AbortSignal | undefined;
  /** @default the client's requestTimeoutMs */
  timeoutMs?: number;
}

const RETRY_STATUSES = new Set([429, 502, 503, 504]);
/** How long one long poll asks the API to hold the request (the API's maximum is 20 s). */
const LONG_POLL_SECONDS = 20;

const randomKey = (): string =>
  typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function'
    ? crypto.randomUUID()
    : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;

function pathOf(template: string, params: Record<string, string> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) =>
    encodeURIComponent(params[name] ?? ''),
  );
}

export class ComfyServerlessClient {
  private readonly baseUrl: string;
  private readonly fetchFn: typeof fetch;
  private readonly maxRetries: number;
  private readonly requestTimeoutMs: number;
  private readonly credential: () => Promise<Record<string, string>>;

  constructor(options: ClientOptions) {
    if (!options?.baseUrl) throw new TypeError('ComfyServerlessClient: baseUrl is required');
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    const f = options.fetch ?? globalThis.fetch;
    if (typeof f !== 'function') throw new TypeError('ComfyServerlessClient: no fetch available');
    this.fetchFn = f.bind(globalThis);
    this.maxRetries = options.maxRetries ?? 3;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    if ('token' in options && options.token !== undefined) {
      const token = options.token;
      this.credential = async () => ({
        authorization: `Bearer ${typeof token === 'function' ? await token() : token}`,
      });
    } else if ('apiKey' in options && options.apiKey) {
      const apiKey = options.apiKey;
      this.credential = async () => ({ 'x-api-key': apiKey });
    } else {
      throw new TypeError('ComfyServerlessClient: pass apiKey or token');
    }
  }

  /** Submits a template with params, or a workflow in ComfyUI's API format. */
  submit(request: SubmitTaskRequest, options: SubmitOptions = {}): Promise<SubmitTaskResponse> {
    const key =
      options.idempotencyKey === false ? undefined : (options.idempotencyKey ?? randomKey());
    const body = options.webhook ? { ...request, webhook: options.webhook } : request;
    const op = OPERATIONS.submitTask;
    return this.request<SubmitTaskResponse>({
      method: op.method,
      path: op.path,
      body,
      headers: key ? { 'idempotency-key': key } : {},
      retry: key !== undefined,
      signal: options.signal,
    });
  }

  /** The task now: status, queue position, progress, error, outputs with fresh links. */
  get(taskId: string, options: { signal?: AbortSignal } = {}): Promise<TaskView> {
    const op = OPERATIONS.getTask;
    return this.request<TaskView>({
      method: op.method,
      path: pathOf(op.path, { taskId }),
      retry: true,
      signal: options.signal,
    });
  }

  /** One page of the caller's tasks, newest first; pass `nextCursor` back for the next one. */
  list(query: ListTasksQuery = {}, options: { signal?: AbortSignal } = {}) {
    const op = OPERATIONS.listTasks;
    return this.request<ListTasksResponse>({
      method: op.method,
      path: op.path,
      query: { status: query.status, limit: query.limit, cursor: query.cursor },
      retry: true,
      signal: options.signal,
    });
  }

  /** Every task of the caller (optionally of one status), page after page. */
  async *listAll(
    query: Omit<ListTasksQuery, 'cursor'> = {},
    options: { signal?: AbortSignal } = {},
  ): AsyncGenerator<TaskView, void, undefined> {
    let cursor: string | undefined;
    do {
      const page = await this.list({ ...query, ...(cursor ? { cursor } : {}) }, options);
      yield* page.items;
      cursor = page.nextCursor;
    } while (cursor);
  }

  /** Cancels the task; cancelling a cancelled task is a no-op, a finished one `TASK_NOT_CANCELLABLE`. */
  cancel(taskId: string, options: { signal?: AbortSignal } = {}): Promise<TaskView> {
    const op = OPERATIONS.cancelTask;
    return this.request<TaskView>({
      method: op.method,
      path: pathOf(op.path, { taskId }),
      retry: true,
      signal: options.signal,
    });
  }

  /**
   * Waits until the task is finished (succeeded, failed or cancelled) and returns it. Uses the
   * API's long polling when it has it (the task carries a `version`), and polls with backoff
   * otherwise. A failed task is returned, not thrown: look at `status` and `error`.
   */
  async wait(taskId: string, options: WaitOptions = {}): Promise<TaskView> {
    const started = Date.now();
    const deadline = options.timeoutMs === undefined ? Infinity : started + options.timeoutMs;
    const firstInterval = options.intervalMs ?? 500;
    const maxInterval = options.maxIntervalMs ?? 5_000;
    let interval = firstInterval;
    let last: string | undefined;
    let task = await this.get(taskId, { signal: options.signal });
    for (;;) {
      const fingerprint = JSON.stringify([
        task.status,
        task.updatedAt,
        task.queuePosition,
        task.progress,
        task.version,
      ]);
      if (fingerprint !== last) {
        last = fingerprint;
        interval = firstInterval;
        options.onProgress?.(task);
      }
      if (isTerminal(task.status)) return task;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new ComfyServerlessError({
          status: 0,
          code: 'TIMEOUT',
          message: `task ${taskId} was still ${task.status} after ${options.timeoutMs} ms`,
          details: { task },
        });
      }
      // An API without long polling has no `version` on its tasks (older deployments).
      const version: unknown = task.version;
      if (typeof version === 'number') {
        const seconds = Math.max(1, Math.min(LONG_POLL_SECONDS, Math.floor(left / 1000)));
        const op = OPERATIONS.getTask;
        task = await this.request<TaskView>({
          method: op.method,
          path: pathOf(op.path, { taskId }),
          query: { wait: seconds, since: String(version) },
          retry: true,
          signal: options.signal,
          timeoutMs: (seconds + 10) * 1000,
        });
      } else {
        await sleep(Math.min(interval, left), options.signal);
        interval = Math.min(maxInterval, Math.round(interval * 1.5));
        task = await this.get(taskId, { signal: options.signal });
      }
    }
  }

  /**
   * Uploads an input image: announces it, then PUTs the bytes straight to storage through the
   * presigned URL (from a browser too: the outputs bucket allows the API's CORS origins). Returns
   * the `upload:<uploadId>` reference to put in a template's image param or any workflow input.
   */
  async upload(data: UploadData, options: UploadOptions = {}): Promise<string> {
    const blobType = typeof Blob !== 'undefined' && data instanceof Blob ? data.type : '';
    const contentType = options.contentType ?? blobType;
    if (!contentType) {
      throw new ComfyServerlessError({
        status: 0,
        code: 'INVALID_REQUEST',
        message: 'upload: pass contentType (image/png, image/jpeg, image/webp or image/gif)',
      });
    }
    const size =
      typeof Blob !== 'undefined' && data instanceof Blob
        ? data.size
        : (data as ArrayBuffer).byteLength;
    const ext = contentType.split('/')[1] ?? 'bin';
    const op = OPERATIONS.createUpload;
    const created = await this.request<CreateUploadResponse>({
      method: op.method,
      path: op.path,
      body: {
        filename: options.filename ?? `image.${ext === 'jpeg' ? 'jpg' : ext}`,
        contentType,
        size,
      },
      retry: false,
      signal: options.signal,
    });
    let res: Response;
    try {
      res = await this.fetchFn(created.url, {
        method: 'PUT',
        headers: created.headers,
        body: data as NonNullable<RequestInit['body']>,
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (cause) {
      throw new ComfyServerlessError({
        status: 0,
        code: options.signal?.aborted ? 'ABORTED' : 'UPLOAD_FAILED',
        message: `the image could not be sent to storage: ${(cause as Error)?.message ?? cause}`,
        cause,
      });
    }
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      throw new ComfyServerlessError({
        status: res.status,
        code: 'UPLOAD_FAILED',
        message: `storage refused the image (HTTP ${res.status})`,
        details: { body: text.slice(0, 500) },
      });
    }
    return `upload:${created.uploadId}`;
  }

  /** The templates and the JSON Schema of their params. */
  async templates(options: { signal?: AbortSignal } = {}): Promise<Template[]> {
    const op = OPERATIONS.listTemplates;
    const res = await this.request<TemplatesResponse>({
      method: op.method,
      path: op.path,
      retry: true,
      signal: options.signal,
    });
    return res.items;
  }

  /** The model names ComfyUI has, per folder (`checkpoints`, `loras`, ...). */
  async models(options: { signal?: AbortSignal } = {}): Promise<ModelsResponse['models']> {
    const op = OPERATIONS.listModels;
    const res = await this.request<ModelsResponse>({
      method: op.method,
      path: op.path,
      retry: true,
      signal: options.signal,
    });
    return res.models;
  }

  private async request<T>(init: RequestInit_): Promise<T> {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(init.query ?? {}))
      if (v !== undefined) qs.set(k, String(v));
    const search = qs.toString();
    const url = `${this.baseUrl}${init.path}${search ? `?${search}` : ''}`;
    const maxAttempts = init.retry ? this.maxRetries + 1 : 1;
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      const call = abortable(init.signal, init.timeoutMs ?? this.requestTimeoutMs);
      try {
        res = await this.fetchFn(url, {
          method: init.method,
          headers: {
            accept: 'application/json',
            ...(await this.credential()),
            ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
            ...init.headers,
          },
          ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
          signal: call.signal,
        });
      } catch (cause) {
        call.done();
        if (init.signal?.aborted) {
          throw new ComfyServerlessError({
            status: 0,
            code: 'ABORTED',
            message: `${init.method} ${init.path} was aborted`,
            cause: init.signal.reason ?? cause,
          });
        }
        const error = new ComfyServerlessError({
          status: 0,
          code: call.timedOut() ? 'TIMEOUT' : 'NETWORK_ERROR',
          message: call.timedOut()
            ? `${init.method} ${init.path}: no answer from ${this.baseUrl} within ${init.timeoutMs ?? this.requestTimeoutMs} ms`
            : `${init.method} ${init.path}: cannot reach ${this.baseUrl} (${(cause as Error)?.message ?? cause})`,
          cause,
        });
        if (attempt >= maxAttempts) throw error;
        await sleep(backoff(attempt), init.signal);
        continue;
      }
      const text = await res.text().finally(() => call.done());
      const requestId = res.headers.get('apigw-requestid') ?? undefined;
      if (res.ok) {
        try {
          return (text ? JSON.parse(text) : undefined) as T;
        } catch (cause) {
          throw new ComfyServerlessError({
            status: res.status,
            code: 'INVALID_RESPONSE',
            message: `${init.method} ${init.path}: the answer is not JSON`,
            requestId,
            cause,
          });
        }
      }
      const error = errorFromResponse(res.status, text, requestId);
      if (!RETRY_STATUSES.has(res.status) || attempt >= maxAttempts) throw error;
      await sleep(retryAfterMs(res.headers.get('retry-after')) ?? backoff(attempt), init.signal);
    }
  }
}

/** 250 ms, 500 ms, 1 s, ... up to 8 s, each with up to half again of jitter. */
function backoff(attempt: number): number {
  const base = Math.min(8_000, 250 * 2 ** (attempt - 1));
  return base + Math.random() * base * 0.5;
}

function retryAfterMs(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds, 30) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.min(30_000, date - Date.now()));
}
