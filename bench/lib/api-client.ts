/**
 * The bench's HTTP client for the task API (the local API server or a deployed one): one undici Agent
 * with enough sockets for the concurrency the bench asks for, timings per call.
 */
import { Agent, request } from 'undici';
import type { TaskView } from '../../shared/http/schemas.js';

export type { TaskView };

export interface Call<T> {
  status: number;
  body: T;
  /** When the request was sent and the whole response read (epoch ms). */
  sentAt: number;
  receivedAt: number;
  ms: number;
}

export class TaskApiClient {
  private readonly agent: Agent;

  constructor(
    readonly baseUrl: string,
    opts: { connections?: number; onRequest?: () => void } = {},
  ) {
    this.agent = new Agent({ connections: opts.connections ?? 32, keepAliveTimeout: 30_000 });
    this.onRequest = opts.onRequest ?? (() => {});
  }

  private readonly onRequest: () => void;

  submit(apiKey: string, body: unknown): Promise<Call<{ taskId?: string; error?: unknown }>> {
    return this.call('POST', '/v1/tasks', apiKey, body);
  }

  get(apiKey: string, taskId: string): Promise<Call<TaskView>> {
    return this.call('GET', `/v1/tasks/${taskId}`, apiKey);
  }

  /** `GET /v1/tasks/{id}?wait=N&since=V`: long polling. */
  waitFor(apiKey: string, taskId: string, waitSeconds: number, since?: number) {
    const query = `wait=${waitSeconds}${since === undefined ? '' : `&since=${since}`}`;
    return this.call<TaskView>('GET', `/v1/tasks/${taskId}?${query}`, apiKey);
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private async call<T>(
    method: 'GET' | 'POST',
    path: string,
    apiKey: string,
    body?: unknown,
  ): Promise<Call<T>> {
    this.onRequest();
    const sentAt = Date.now();
    const started = performance.now();
    const res = await request(`${this.baseUrl}${path}`, {
      method,
      dispatcher: this.agent,
      headers: {
        'x-api-key': apiKey,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.body.text();
    const ms = performance.now() - started;
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = { raw: text };
    }
    return { status: res.statusCode, body: parsed as T, sentAt, receivedAt: Date.now(), ms };
  }
}

/** Succeeded with a link for every output: what a user waits for. */
export const isDone = (t: TaskView): boolean =>
  t.status === 'succeeded' &&
  (t.outputs?.length ?? 0) > 0 &&
  t.outputs?.every((o) => !!o.url) === true;

export const isTerminal = (t: TaskView): boolean =>
  t.status === 'succeeded' || t.status === 'failed' || t.status === 'cancelled';
