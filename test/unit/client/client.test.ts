import { describe, expect, it } from 'vitest';
import {
  ComfyServerlessClient,
  ComfyServerlessError,
} from '../../../clients/typescript/src/index.js';
import { scriptedFetch, TASK_ID, task } from './fake-fetch.js';

const BASE = 'https://api.example.test/';

function client(script: Parameters<typeof scriptedFetch>[0], opts: { maxRetries?: number } = {}) {
  const f = scriptedFetch(script);
  const c = new ComfyServerlessClient({
    baseUrl: BASE,
    apiKey: 'csk_test',
    fetch: f.fetch,
    ...opts,
  });
  return { c, calls: f.calls };
}

async function caught(p: Promise<unknown>): Promise<ComfyServerlessError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ComfyServerlessError);
    return err as ComfyServerlessError;
  }
  throw new Error('expected a rejection');
}

describe('ComfyServerlessClient', () => {
  it('submits with the key header, JSON body and a generated idempotency key', async () => {
    const { c, calls } = client([
      { status: 202, body: { taskId: TASK_ID, status: 'queued', createdAt: 'x' } },
    ]);
    const res = await c.submit({ template: 'txt2img', params: { prompt: 'a cat' } });
    expect(res.taskId).toBe(TASK_ID);
    expect(calls[0]?.url).toBe('https://api.example.test/v1/tasks');
    expect(calls[0]?.method).toBe('POST');
    expect(calls[0]?.headers['x-api-key']).toBe('csk_test');
    expect(calls[0]?.headers['content-type']).toBe('application/json');
    expect(calls[0]?.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
    expect(calls[0]?.body).toEqual({ template: 'txt2img', params: { prompt: 'a cat' } });
  });

  it('retries a submit on 503 and network failure with the same idempotency key', async () => {
    const { c, calls } = client([
      { status: 503, body: { error: { code: 'DEPENDENCY_UNAVAILABLE', message: 'retry' } } },
      { error: new TypeError('fetch failed') },
      { status: 202, body: { taskId: TASK_ID, status: 'queued', createdAt: 'x' } },
    ]);
    await c.submit({ template: 'txt2img' }, { webhook: { url: 'https://hook.test/x' } });
    expect(calls).toHaveLength(3);
    const keys = new Set(calls.map((x) => x.headers['idempotency-key']));
    expect(keys.size).toBe(1);
    expect(calls[2]?.body).toEqual({
      template: 'txt2img',
      webhook: { url: 'https://hook.test/x' },
    });
  });

  it('does not retry a submit sent without an idempotency key', async () => {
    const { c, calls } = client([
      { status: 503, body: { error: { code: 'DEPENDENCY_UNAVAILABLE', message: 'down' } } },
    ]);
    const err = await caught(c.submit({ template: 'txt2img' }, { idempotencyKey: false }));
    expect(err.code).toBe('DEPENDENCY_UNAVAILABLE');
    expect(calls).toHaveLength(1);
    expect(calls[0]?.headers['idempotency-key']).toBeUndefined();
  });

  it('turns error bodies into one error class with status, code, message and details', async () => {
    const { c } = client(
      [
        {
          status: 400,
          body: {
            error: {
              code: 'INVALID_PARAMS',
              message: 'bad params',
              details: { issues: [{ path: 'body.params.steps', message: 'too big' }] },
            },
          },
          headers: { 'apigw-requestid': 'req-1' },
        },
        { status: 403, body: { message: 'Forbidden' } },
        { status: 502, body: '<html>bad gateway</html>' },
      ],
      { maxRetries: 0 },
    );
    const a = await caught(c.submit({ template: 'txt2img', params: { steps: 1000 } }));
    expect([a.status, a.code, a.message, a.requestId]).toEqual([
      400,
      'INVALID_PARAMS',
      'bad params',
      'req-1',
    ]);
    expect(a.details).toEqual({ issues: [{ path: 'body.params.steps', message: 'too big' }] });
    const b = await caught(c.get(TASK_ID));
    expect([b.status, b.code]).toEqual([403, 'FORBIDDEN']);
    expect(b.message).toMatch(/API key or token/);
    const d = await caught(c.get(TASK_ID));
    expect([d.status, d.code, d.message]).toEqual([502, 'HTTP_502', '<html>bad gateway</html>']);
  });

  it('sends a bearer token from a function before each request', async () => {
    let n = 0;
    const f = scriptedFetch([
      { status: 200, body: task('queued') },
      { status: 200, body: task('queued') },
    ]);
    const c = new ComfyServerlessClient({
      baseUrl: BASE,
      token: async () => `t${++n}`,
      fetch: f.fetch,
    });
    await c.get(TASK_ID);
    await c.get(TASK_ID);
    expect(f.calls.map((x) => x.headers.authorization)).toEqual(['Bearer t1', 'Bearer t2']);
    expect(f.calls[0]?.headers['x-api-key']).toBeUndefined();
  });

  it('refuses to be built without a credential', () => {
    expect(() => new ComfyServerlessClient({ baseUrl: BASE } as never)).toThrow(/apiKey or token/);
  });

  it('lists all pages through the async iterator, passing the cursor along', async () => {
    const { c, calls } = client([
      { status: 200, body: { items: [task('succeeded'), task('failed')], nextCursor: 'abc' } },
      { status: 200, body: { items: [task('succeeded')] } },
    ]);
    const all = [];
    for await (const t of c.listAll({ status: 'succeeded', limit: 2 })) all.push(t);
    expect(all).toHaveLength(3);
    expect(calls.map((x) => new URL(x.url).search)).toEqual([
      '?status=succeeded&limit=2',
      '?status=succeeded&limit=2&cursor=abc',
    ]);
  });

  it('waits with backoff, reporting each change, until the task is finished', async () => {
    const seen: string[] = [];
    const queued = task('queued');
    const { c, calls } = client([
      { status: 200, body: queued },
      { status: 200, body: queued },
      { status: 200, body: task('running') },
      { status: 200, body: task('succeeded') },
    ]);
    const done = await c.wait(TASK_ID, { intervalMs: 1, onProgress: (t) => seen.push(t.status) });
    expect(done.status).toBe('succeeded');
    expect(seen).toEqual(['queued', 'running', 'succeeded']);
    expect(calls.every((x) => new URL(x.url).search === '')).toBe(true);
  });

  it('long-polls with wait and since when the task carries a version', async () => {
    const { c, calls } = client([
      { status: 200, body: task('queued', { version: 3 }) },
      { status: 200, body: task('running', { version: 4 }) },
      { status: 200, body: task('succeeded', { version: 7 }) },
    ]);
    const done = await c.wait(TASK_ID);
    expect(done.status).toBe('succeeded');
    const qs = calls.map((x) => new URL(x.url).searchParams);
    expect(qs[1]?.get('since')).toBe('3');
    expect(qs[2]?.get('since')).toBe('4');
    expect(Number(qs[1]?.get('wait'))).toBeGreaterThan(0);
    expect(Number(qs[1]?.get('wait'))).toBeLessThanOrEqual(20);
  });

  it('gives up waiting with TIMEOUT and stops on abort with ABORTED', async () => {
    const running = () => ({ status: 200, body: task('running') });
    const { c } = client(Array.from({ length: 50 }, running));
    const t = await caught(c.wait(TASK_ID, { timeoutMs: 30, intervalMs: 5 }));
    expect(t.code).toBe('TIMEOUT');
    expect(t.message).toMatch(/still running/);
    const ac = new AbortController();
    const p = c.wait(TASK_ID, { signal: ac.signal, intervalMs: 1_000 });
    setTimeout(() => ac.abort(new Error('user left')), 20);
    const a = await caught(p);
    expect(a.code).toBe('ABORTED');
  });

  it('uploads: announces the image, PUTs it to the presigned URL with the signed headers, returns the reference', async () => {
    const uploadId = '0b7c0000-1111-4222-8333-944455556666';
    const bytes = new Uint8Array([137, 80, 78, 71, 1, 2, 3]);
    const { c, calls } = client([
      {
        status: 201,
        body: {
          uploadId,
          url: 'https://bucket.test/in/x?X-Amz-Signature=s',
          expiresAt: 'x',
          maxBytes: 100,
          headers: { 'content-type': 'image/png' },
        },
      },
      { status: 200 },
    ]);
    const ref = await c.upload(new Blob([bytes], { type: 'image/png' }));
    expect(ref).toBe(`upload:${uploadId}`);
    expect(calls[0]?.body).toEqual({ filename: 'image.png', contentType: 'image/png', size: 7 });
    expect(calls[1]?.method).toBe('PUT');
    expect(calls[1]?.url).toBe('https://bucket.test/in/x?X-Amz-Signature=s');
    expect(calls[1]?.headers['content-type']).toBe('image/png');
    expect(calls[1]?.headers['x-api-key']).toBeUndefined();
  });

  it('reports a refused PUT as UPLOAD_FAILED', async () => {
    const { c } = client([
      {
        status: 201,
        body: {
          uploadId: 'u',
          url: 'https://bucket.test/p',
          expiresAt: 'x',
          maxBytes: 1,
          headers: {},
        },
      },
      { status: 403, body: '<Error><Code>AccessDenied</Code></Error>' },
    ]);
    const err = await caught(c.upload(new Uint8Array([1]), { contentType: 'image/png' }));
    expect([err.status, err.code]).toEqual([403, 'UPLOAD_FAILED']);
  });
});
