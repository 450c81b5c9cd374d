/**
 * The task API as the CLI sees it: plain fetch against a running stack, local or deployed, with an
 * API key (`x-api-key`) or a bearer token. Non-2xx answers become an ApiError carrying the API's
 * `{"error": {"code", "message", "details"}}` (or API Gateway's `{"message"}`).
 */
import type { ListTasksResponse, SubmitTaskResponse, TaskView } from '../../shared/http/schemas.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The error body's `details`, e.g. `{ issues: [{ path, message }] }` for a 400. */
    readonly details?: unknown,
  ) {
    super(`${status} ${code}: ${message}`);
  }
}

export interface ApiClientOptions {
  baseUrl: string;
  apiKey?: string;
  token?: string;
}

/** What the commands need from the API (a fake in tests). */
export interface TaskApi {
  submit(body: Record<string, unknown>, idempotencyKey?: string): Promise<SubmitTaskResponse>;
  status(taskId: string): Promise<TaskView>;
  list(query: { status?: string; limit?: number; cursor?: string }): Promise<ListTasksResponse>;
  cancel(taskId: string): Promise<TaskView>;
  templates(): Promise<unknown>;
}

export class TaskApiClient implements TaskApi {
  constructor(private readonly opts: ApiClientOptions) {}

  private async call<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> {
    const auth: Record<string, string> = this.opts.token
      ? { authorization: `Bearer ${this.opts.token}` }
      : this.opts.apiKey
        ? { 'x-api-key': this.opts.apiKey }
        : {};
    let res: Response;
    try {
      res = await fetch(`${this.opts.baseUrl.replace(/\/+$/, '')}${path}`, {
        method,
        headers: {
          ...auth,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err) {
      throw new ApiError(
        0,
        'UNREACHABLE',
        `cannot reach ${this.opts.baseUrl} (${(err as Error).cause ?? err}). Is the stack running (npm start)?`,
      );
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const e =
        (json as {
          error?: { code?: string; message?: string; details?: unknown };
          message?: string;
        }) ?? {};
      throw new ApiError(
        res.status,
        e.error?.code ?? (res.status === 401 || res.status === 403 ? 'UNAUTHORIZED' : 'HTTP_ERROR'),
        e.error?.message ?? e.message ?? (text || res.statusText),
        e.error?.details,
      );
    }
    return json as T;
  }

  submit(body: Record<string, unknown>, idempotencyKey?: string) {
    return this.call<SubmitTaskResponse>(
      'POST',
      '/v1/tasks',
      body,
      idempotencyKey ? { 'idempotency-key': idempotencyKey } : {},
    );
  }
  status(taskId: string) {
    return this.call<TaskView>('GET', `/v1/tasks/${encodeURIComponent(taskId)}`);
  }
  list(query: { status?: string; limit?: number; cursor?: string }) {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) qs.set(k, String(v));
    const q = qs.toString();
    return this.call<ListTasksResponse>('GET', `/v1/tasks${q ? `?${q}` : ''}`);
  }
  cancel(taskId: string) {
    return this.call<TaskView>('POST', `/v1/tasks/${encodeURIComponent(taskId)}/cancel`);
  }
  templates() {
    return this.call<unknown>('GET', '/v1/templates');
  }
}
