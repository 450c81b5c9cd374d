/**
 * HttpComfyClient: the ComfyClient port over HTTP with undici, checked against a real ComfyUI by the
 * contract suites (docs/comfyui-contract.md).
 * The dispatcher (a Pool from `createComfyConnectionPool`) is passed in; the global dispatcher is never used.
 * GETs retry with backoff and jitter on ComfyUnavailableError; POSTs are never retried.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { type Dispatcher, request } from 'undici';
import { DomainError } from '../../domain/errors.js';
import { logger } from '../../observability.js';
import type {
  ComfyClient,
  ComfyOutputFile,
  ComfyRun,
  ComfyView,
  LookupResult,
  QueueSnapshot,
  SubmitPromptInput,
  SubmittedPrompt,
  UploadedImage,
} from '../../ports/comfy-client.js';
import { type ComfyConnectionOptions, createComfyConnectionPool } from './connection-pool.js';
import {
  errorForStatus,
  protocolError,
  rejectionFromBody,
  toNodeErrors,
  translateTransportError,
} from './errors.js';
import { type ComfyFeatures, PROMPT_SCOPED_INTERRUPT_SINCE, versionAtLeast } from './features.js';
import { multipartBody } from './multipart.js';
import { parseHistoryEntry, parseHistoryFor, parseHistoryResponse } from './parse-history.js';
import { parseQueue, parseQueueRemaining } from './parse-queue.js';
import { DEFAULT_RETRY, type RetryPolicy, withRetry } from './retry.js';
import { JobResponse, JsonObject, SubmitResponse, UploadResponse } from './schemas.js';

export interface HttpComfyClientOptions {
  /** The server's base URL, e.g. `http://10.0.1.5:8188` (a path prefix is allowed). */
  baseUrl: string;
  /** An undici Pool (see `createComfyConnectionPool`) or any Dispatcher, e.g. a MockAgent in tests. */
  dispatcher: Dispatcher;
  /** Close the dispatcher in `close()`. @default false */
  ownsDispatcher?: boolean;
  /** Retries of idempotent GETs. @default { retries: 2, baseDelayMs: 100, maxDelayMs: 2000 } */
  retry?: Partial<RetryPolicy>;
  /** Skip feature detection with known answers (tests, or a pinned server version). */
  features?: ComfyFeatures;
}

interface Sent {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
}

export class HttpComfyClient implements ComfyClient {
  readonly baseUrl: string;
  private readonly origin: string;
  private readonly prefix: string;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly retry: RetryPolicy;
  private features: Promise<ComfyFeatures> | undefined;
  /** Until then, the server is taken not to have the file-cleanup extension. */
  private noFileCleanupUntil = 0;

  /** A client that owns its own Pool built from `options`. */
  static create(
    options: ComfyConnectionOptions & { retry?: Partial<RetryPolicy> },
  ): HttpComfyClient {
    const init: HttpComfyClientOptions = {
      baseUrl: options.baseUrl,
      dispatcher: createComfyConnectionPool(options),
      ownsDispatcher: true,
    };
    if (options.retry) init.retry = options.retry;
    return new HttpComfyClient(init);
  }

  constructor(options: HttpComfyClientOptions) {
    const url = new URL(options.baseUrl);
    this.origin = url.origin;
    this.prefix = url.pathname.replace(/\/+$/, '');
    this.baseUrl = `${this.origin}${this.prefix}`;
    this.dispatcher = options.dispatcher;
    this.ownsDispatcher = options.ownsDispatcher ?? false;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    if (options.features) this.features = Promise.resolve(options.features);
  }

  async submitPrompt(input: SubmitPromptInput): Promise<SubmittedPrompt> {
    const payload: Record<string, unknown> = {
      prompt: input.workflow,
      client_id: input.clientId,
      prompt_id: input.promptId,
    };
    if (input.extraData) payload.extra_data = input.extraData;
    const res = await this.send('POST', '/prompt', { json: payload });
    const text = await this.readText(res, 'POST /prompt');
    if (res.status === 400) throw rejectionFromBody(text);
    if (res.status !== 200) throw errorForStatus(res.status, 'POST /prompt', text);
    const parsed = SubmitResponse.safeParse(parseJson(text, 'POST /prompt'));
    if (!parsed.success) throw protocolError('POST /prompt', parsed.error.issues.slice(0, 5));
    const out: SubmittedPrompt = { promptId: parsed.data.prompt_id, number: parsed.data.number };
    const nodeErrors = toNodeErrors(parsed.data.node_errors);
    if (nodeErrors.length > 0) out.nodeErrors = nodeErrors;
    if (out.promptId !== input.promptId) {
      // Servers older than v0.3.45 ignore our prompt_id: the caller must use the returned one.
      logger.warn('comfyui ignored the client prompt_id', {
        baseUrl: this.baseUrl,
        sent: input.promptId,
        got: out.promptId,
      });
    }
    return out;
  }

  async getQueue(): Promise<QueueSnapshot> {
    return parseQueue(await this.getJson('/queue'));
  }

  async getQueueRemaining(): Promise<number> {
    return parseQueueRemaining(await this.getJson('/prompt'));
  }

  async getHistory(promptId: string): Promise<ComfyRun | undefined> {
    return parseHistoryFor(
      promptId,
      await this.getJson(`/history/${encodeURIComponent(promptId)}`),
    );
  }

  async listHistory(maxItems?: number): Promise<ComfyRun[]> {
    const query = maxItems === undefined ? undefined : { max_items: String(Math.trunc(maxItems)) };
    return parseHistoryResponse(await this.getJson('/history', query));
  }

  async deleteHistory(promptIds: string[]): Promise<void> {
    if (promptIds.length === 0) return;
    await this.postExpectOk('/history', { delete: promptIds });
  }

  async lookup(promptId: string): Promise<LookupResult> {
    const features = await this.getFeatures();
    if (features.jobsApi) {
      const viaJobs = await this.lookupViaJobs(promptId);
      if (viaJobs) return viaJobs;
    }
    return this.lookupViaQueue(promptId);
  }

  async cancel(promptId: string): Promise<void> {
    const features = await this.getFeatures();
    if (features.jobsCancel) {
      const res = await this.send('POST', `/api/jobs/${encodeURIComponent(promptId)}/cancel`, {
        json: {},
      });
      const text = await this.readText(res, 'POST /api/jobs/{id}/cancel');
      if (res.status === 200) return;
      if (res.status !== 404) throw errorForStatus(res.status, 'POST /api/jobs/{id}/cancel', text);
      this.features = undefined; // the route went away (server replaced): detect again, fall back now
    }
    // Pending: dequeue (a no-op if it is not pending). Running: interrupt that prompt only.
    await this.postExpectOk('/queue', { delete: [promptId] });
    if (features.promptScopedInterrupt) {
      await this.postExpectOk('/interrupt', { prompt_id: promptId });
      return;
    }
    // Old server: /interrupt stops whatever runs, so only send it when our prompt is the one running.
    const queue = await this.getQueue();
    if (queue.running.some((e) => e.promptId === promptId)) {
      await this.postExpectOk('/interrupt', { prompt_id: promptId });
    }
  }

  async view(file: Pick<ComfyOutputFile, 'filename' | 'subfolder' | 'type'>): Promise<ComfyView> {
    const query = { filename: file.filename, subfolder: file.subfolder, type: file.type };
    const res = await withRetry(
      this.retry,
      async () => {
        const r = await this.send('GET', '/view', { query });
        if (r.status >= 500) {
          throw errorForStatus(r.status, 'GET /view', await this.readText(r, 'GET /view'));
        }
        return r;
      },
      (err, attempt, delayMs) => this.logRetry('/view', err, attempt, delayMs),
    );
    if (res.status !== 200) {
      throw errorForStatus(res.status, 'GET /view', await this.readText(res, 'GET /view'));
    }
    const view: ComfyView = {
      body: translatedStream(res.body, 'GET /view'),
      contentType: headerValue(res.headers['content-type']) ?? 'application/octet-stream',
    };
    const length = Number(headerValue(res.headers['content-length']));
    if (Number.isFinite(length) && length >= 0) view.size = length;
    return view;
  }

  async uploadImage(input: Parameters<ComfyClient['uploadImage']>[0]): Promise<UploadedImage> {
    const fields: Record<string, string> = {};
    if (input.subfolder) fields.subfolder = input.subfolder;
    if (input.overwrite) fields.overwrite = 'true';
    if (input.type) fields.type = input.type;
    const file = {
      field: 'image',
      filename: input.filename,
      contentType: input.contentType,
      body: input.body,
      ...(input.size === undefined ? {} : { size: input.size }),
    };
    const mp = multipartBody(fields, file);
    const headers: Record<string, string> = { 'content-type': mp.contentType };
    if (mp.length !== undefined) headers['content-length'] = String(mp.length);
    const res = await this.send('POST', '/upload/image', { body: mp.body, headers });
    const text = await this.readText(res, 'POST /upload/image');
    if (res.status !== 200) throw errorForStatus(res.status, 'POST /upload/image', text);
    const parsed = UploadResponse.safeParse(parseJson(text, 'POST /upload/image'));
    if (!parsed.success) throw protocolError('POST /upload/image', parsed.error.issues.slice(0, 5));
    return parsed.data;
  }

  async getObjectInfo(nodeClass?: string): Promise<Record<string, unknown>> {
    const path = nodeClass ? `/object_info/${encodeURIComponent(nodeClass)}` : '/object_info';
    return asObject(await this.getJson(path), `GET ${path}`);
  }

  async deleteFiles(input: Parameters<ComfyClient['deleteFiles']>[0]) {
    if (Date.now() < this.noFileCleanupUntil) return undefined;
    const what = `POST ${FILE_CLEANUP_ROUTE}`;
    const res = await this.send('POST', FILE_CLEANUP_ROUTE, { json: input });
    const text = await this.readText(res, what);
    // Without the extension, ComfyUI answers 405 (its static route) or 404: look again later, as the
    // server may be restarted with it.
    if (res.status === 404 || res.status === 405) {
      this.noFileCleanupUntil = Date.now() + FILE_CLEANUP_RECHECK_MS;
      return undefined;
    }
    if (res.status !== 200) throw errorForStatus(res.status, what, text);
    const body = safeJson(text) as { deleted?: unknown; missing?: unknown } | undefined;
    if (typeof body?.deleted !== 'number' || typeof body.missing !== 'number') {
      throw protocolError(what, { body: text.slice(0, 200) });
    }
    return { deleted: body.deleted, missing: body.missing };
  }

  async listModels(): Promise<Record<string, string[]>> {
    const folders = await this.getJson('/models');
    if (!Array.isArray(folders)) throw protocolError('GET /models');
    const out: Record<string, string[]> = {};
    for (const folder of folders) {
      if (typeof folder !== 'string' || NOT_MODEL_FOLDERS.has(folder)) continue;
      const names = await this.getJson(`/models/${encodeURIComponent(folder)}`).catch(
        (err: unknown) => {
          if (err instanceof DomainError && err.code === 'COMFYUI_NOT_FOUND') return [];
          throw err;
        },
      );
      out[folder] = Array.isArray(names) ? names.filter((n) => typeof n === 'string') : [];
    }
    return out;
  }

  async getSystemStats(): Promise<Record<string, unknown>> {
    return asObject(await this.getJson('/system_stats'), 'GET /system_stats');
  }

  /** What this server supports; detected once, and again after a failed detection. */
  getFeatures(): Promise<ComfyFeatures> {
    if (!this.features) {
      const detecting = this.detectFeatures();
      this.features = detecting;
      detecting.catch(() => {
        if (this.features === detecting) this.features = undefined;
      });
    }
    return this.features;
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  // --- internals -----------------------------------------------------------------------------------

  private async detectFeatures(): Promise<ComfyFeatures> {
    const stats = await this.getSystemStats();
    const system = (stats.system ?? {}) as Record<string, unknown>;
    const version = typeof system.comfyui_version === 'string' ? system.comfyui_version : undefined;
    const features: ComfyFeatures = {
      promptScopedInterrupt: versionAtLeast(version, PROMPT_SCOPED_INTERRUPT_SINCE),
      jobsApi: false,
      jobsCancel: false,
    };
    if (version !== undefined) features.version = version;
    const jobs = await this.sendWithRetry('GET', '/api/jobs', { query: { limit: '1' } });
    const jobsText = await this.readText(jobs, 'GET /api/jobs');
    if (jobs.status === 200) {
      features.jobsApi = true;
      // A cancel of an id that does not exist is harmless: {"cancelled": false}.
      const probe = await this.send('POST', `/api/jobs/${randomUUID()}/cancel`, { json: {} });
      const probeText = await this.readText(probe, 'POST /api/jobs/{id}/cancel');
      if (probe.status === 200) {
        const body = safeJson(probeText);
        features.jobsCancel = !!body && typeof body === 'object' && 'cancelled' in body;
      } else if (probe.status >= 500) {
        throw errorForStatus(probe.status, 'POST /api/jobs/{id}/cancel', probeText);
      }
    } else if (jobs.status >= 500) {
      throw errorForStatus(jobs.status, 'GET /api/jobs', jobsText);
    }
    return features;
  }

  /** Queue first, then history: a prompt finishing between the two reads is still found. */
  private async lookupViaQueue(promptId: string): Promise<LookupResult> {
    const queue = await this.getQueue();
    const running = queue.running.find((e) => e.promptId === promptId);
    if (running) return { state: 'running', number: running.number };
    const position = queue.pending.findIndex((e) => e.promptId === promptId);
    const pending = queue.pending[position];
    if (pending) return { state: 'pending', position, number: pending.number };
    const run = await this.getHistory(promptId);
    return run ? { state: 'finished', run } : { state: 'unknown' };
  }

  /** GET /api/jobs/{id}; undefined when the caller should fall back to queue + history. */
  private async lookupViaJobs(promptId: string): Promise<LookupResult | undefined> {
    const res = await this.sendWithRetry('GET', `/api/jobs/${encodeURIComponent(promptId)}`);
    const text = await this.readText(res, 'GET /api/jobs/{id}');
    if (res.status === 404) {
      const body = safeJson(text);
      if (body && typeof body === 'object' && 'error' in body) return { state: 'unknown' };
      this.features = undefined; // the route went away: detect again next time
      return undefined;
    }
    if (res.status !== 200) throw errorForStatus(res.status, 'GET /api/jobs/{id}', text);
    const parsed = JobResponse.safeParse(parseJson(text, 'GET /api/jobs/{id}'));
    if (!parsed.success) throw protocolError('GET /api/jobs/{id}', parsed.error.issues.slice(0, 5));
    const job = parsed.data;
    switch (job.status) {
      case 'pending':
        return undefined; // the queue gives the position
      case 'in_progress':
        return { state: 'running', number: job.priority ?? 0 };
      case 'completed':
      case 'failed':
      case 'cancelled':
        return { state: 'finished', run: runFromJob(promptId, job) };
      default:
        throw protocolError('GET /api/jobs/{id}', { status: job.status });
    }
  }

  private async getJson(path: string, query?: Record<string, string>): Promise<unknown> {
    const what = `GET ${path}`;
    return withRetry(
      this.retry,
      async () => {
        const res = await this.send('GET', path, query ? { query } : {});
        const text = await this.readText(res, what);
        if (res.status !== 200) throw errorForStatus(res.status, what, text);
        return parseJson(text, what);
      },
      (err, attempt, delayMs) => this.logRetry(path, err, attempt, delayMs),
    );
  }

  private sendWithRetry(method: 'GET', path: string, opts: SendOptions = {}): Promise<Sent> {
    return withRetry(
      this.retry,
      async () => {
        const res = await this.send(method, path, opts);
        if (res.status >= 500) {
          throw errorForStatus(res.status, `${method} ${path}`, await this.readText(res, path));
        }
        return res;
      },
      (err, attempt, delayMs) => this.logRetry(path, err, attempt, delayMs),
    );
  }

  private async postExpectOk(path: string, json: unknown): Promise<void> {
    const res = await this.send('POST', path, { json });
    const text = await this.readText(res, `POST ${path}`);
    if (res.status !== 200) throw errorForStatus(res.status, `POST ${path}`, text);
  }

  private async send(method: 'GET' | 'POST', path: string, opts: SendOptions = {}): Promise<Sent> {
    const qs = opts.query ? `?${new URLSearchParams(opts.query).toString()}` : '';
    const headers: Record<string, string> = { ...opts.headers };
    let body: Dispatcher.DispatchOptions['body'];
    if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers['content-type'] = 'application/json';
    } else if (opts.body !== undefined) {
      body = opts.body as Dispatcher.DispatchOptions['body'];
    }
    try {
      const res = await request(`${this.origin}${this.prefix}${path}${qs}`, {
        method,
        headers,
        body,
        dispatcher: this.dispatcher,
      });
      return { status: res.statusCode, headers: res.headers, body: res.body };
    } catch (err) {
      throw translateTransportError(err, `${method} ${path}`);
    }
  }

  private async readText(res: Sent, what: string): Promise<string> {
    try {
      return await res.body.text();
    } catch (err) {
      throw translateTransportError(err, what);
    }
  }

  private logRetry(path: string, err: DomainError, attempt: number, delayMs: number) {
    logger.warn('comfyui request retried', {
      baseUrl: this.baseUrl,
      path,
      attempt,
      delayMs,
      errorCode: err.code,
      error: err.message,
    });
  }
}

/** The route of the file-cleanup extension (infra/comfyui-extension/comfy_serverless). */
const FILE_CLEANUP_ROUTE = '/comfy-serverless/delete';
const FILE_CLEANUP_RECHECK_MS = 10 * 60_000;

/** `/models` folders that hold code or configuration, not models. */
const NOT_MODEL_FOLDERS = new Set(['custom_nodes', 'configs']);

interface SendOptions {
  query?: Record<string, string>;
  json?: unknown;
  body?: AsyncIterable<Uint8Array> | Uint8Array | string;
  headers?: Record<string, string>;
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw protocolError(what, { body: text.slice(0, 200) });
  }
}

function asObject(raw: unknown, what: string): Record<string, unknown> {
  const parsed = JsonObject.safeParse(raw);
  if (!parsed.success) throw protocolError(what);
  return parsed.data;
}

/** The /view body as a Readable whose errors are domain errors; destroying it aborts the download. */
function translatedStream(body: AsyncIterable<Uint8Array>, what: string): Readable {
  async function* pass() {
    try {
      for await (const chunk of body) yield chunk;
    } catch (err) {
      throw translateTransportError(err, what);
    }
  }
  return Readable.from(pass(), { objectMode: false, highWaterMark: 64 * 1024 });
}

/** A jobs-API job (single view) -> ComfyRun, through the same parser as history entries. */
function runFromJob(promptId: string, job: JobResponse): ComfyRun {
  if (job.execution_status) {
    return parseHistoryEntry(promptId, {
      outputs: job.outputs ?? {},
      status: job.execution_status,
    });
  }
  const event =
    job.status === 'completed'
      ? 'execution_success'
      : job.status === 'cancelled'
        ? 'execution_interrupted'
        : 'execution_error';
  const data = (job as Record<string, unknown>).execution_error ?? { prompt_id: promptId };
  return parseHistoryEntry(promptId, {
    outputs: job.outputs ?? {},
    status: {
      status_str: job.status === 'completed' ? 'success' : 'error',
      messages: [[event, data]],
    },
  });
}
