/**
 * The TypeScript client against the local runtime started as `npm start` starts it: every method
 * over real HTTP (API, presigned S3 PUT and GET), as an app developer would use it.
 */
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ComfyServerlessClient,
  ComfyServerlessError,
  type TaskView,
} from '../../../clients/typescript/src/index.js';
import { type SpawnedRuntime, spawnLocalRuntime } from '../../helpers/local-runtime.js';

const ENV = { POLL_INTERVAL_MS: '100', LOG_LEVEL: 'WARN' };
const ARGS = ['--poller-repeat', '100', '--comfy-execution-ms', '800', '--quiet'];

let rt: SpawnedRuntime;
let client: ComfyServerlessClient;

beforeAll(async () => {
  rt = await spawnLocalRuntime({ args: ARGS, env: ENV, readyTimeoutMs: 90_000 });
  client = new ComfyServerlessClient({ baseUrl: rt.apiUrl, apiKey: rt.apiKey() });
}, 120_000);

afterAll(async () => {
  await rt?.signal('SIGINT');
});

function png(width: number, height: number): Uint8Array {
  const img = new PNG({ width, height });
  for (let i = 0; i < img.data.length; i += 4) {
    img.data[i] = (i / 4) % 256;
    img.data[i + 1] = 128;
    img.data[i + 2] = 30;
    img.data[i + 3] = 255;
  }
  return new Uint8Array(PNG.sync.write(img));
}

async function rejection(p: Promise<unknown>): Promise<ComfyServerlessError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ComfyServerlessError);
  return err as ComfyServerlessError;
}

describe('@comfy-serverless/client against npm start', () => {
  it('lists the templates with the JSON Schema of their params', async () => {
    const templates = await client.templates();
    const txt2img = templates.find((t) => t.name === 'txt2img');
    expect(txt2img?.params).toMatchObject({ type: 'object', required: ['prompt'] });
    expect(templates.map((t) => t.name)).toContain('img2img');
  });

  it('submits txt2img, waits with progress, and the output link gives the PNG', async () => {
    const { taskId, status } = await client.submit({
      template: 'txt2img',
      params: { prompt: 'a lighthouse', width: 64, height: 64, steps: 2 },
    });
    expect(status).toBe('queued');
    const seen: TaskView['status'][] = [];
    const done = await client.wait(taskId, {
      timeoutMs: 50_000,
      onProgress: (t) => seen.push(t.status),
    });
    expect(done.status).toBe('succeeded');
    expect(seen.at(-1)).toBe('succeeded');
    expect(seen.length).toBeGreaterThanOrEqual(2);
    const out = done.outputs[0];
    expect(out?.contentType).toBe('image/png');
    const bytes = new Uint8Array(await (await fetch(out?.url as string)).arrayBuffer());
    expect(bytes.length).toBe(out?.size);
    expect(PNG.sync.read(Buffer.from(bytes)).width).toBeGreaterThan(0);
  });

  it('uploads an image through the presigned URL and runs img2img on it', async () => {
    const ref = await client.upload(
      new Blob([png(64, 64) as Uint8Array<ArrayBuffer>], { type: 'image/png' }),
    );
    expect(ref).toMatch(/^upload:[0-9a-f-]{36}$/);
    const { taskId } = await client.submit({
      template: 'img2img',
      params: { image: ref, prompt: 'as an oil painting', denoise: 0.5, steps: 2 },
    });
    const done = await client.wait(taskId, { timeoutMs: 50_000 });
    expect(done.error).toBeUndefined();
    expect(done.status).toBe('succeeded');
    expect(done.outputs.length).toBeGreaterThan(0);
  });

  it('returns the same task for the same idempotency key', async () => {
    const request = { template: 'txt2img', params: { prompt: 'same', steps: 1 } };
    const a = await client.submit(request, { idempotencyKey: 'client-test-1' });
    const b = await client.submit(request, { idempotencyKey: 'client-test-1' });
    expect(b.taskId).toBe(a.taskId);
    const c = await client.submit(request);
    expect(c.taskId).not.toBe(a.taskId);
    const err = await rejection(
      client.submit(
        { ...request, params: { prompt: 'other' } },
        { idempotencyKey: 'client-test-1' },
      ),
    );
    expect([err.status, err.code]).toEqual([409, 'IDEMPOTENCY_KEY_REUSED']);
  });

  it('cancels a task and wait() returns it cancelled', async () => {
    const { taskId } = await client.submit({ template: 'txt2img', params: { prompt: 'stop me' } });
    const cancelled = await client.cancel(taskId);
    expect(['cancelled', 'queued', 'dispatched', 'running']).toContain(cancelled.status);
    const done = await client.wait(taskId, { timeoutMs: 50_000 });
    expect(done.status).toBe('cancelled');
    const again = await client.cancel(taskId);
    expect(again.status).toBe('cancelled');
  });

  it('pages through the list with listAll', async () => {
    const mine = new Set<string>();
    for (let i = 0; i < 3; i++) {
      mine.add(
        (await client.submit({ template: 'txt2img', params: { prompt: `page ${i}` } })).taskId,
      );
    }
    const page = await client.list({ limit: 1 });
    expect(page.items).toHaveLength(1);
    expect(page.nextCursor).toEqual(expect.any(String));
    // The list reads an index that may lag a moment behind a submit: look until all three show.
    let found = new Set<string>();
    for (let attempt = 0; attempt < 50 && found.size < mine.size; attempt++) {
      found = new Set<string>();
      for await (const t of client.listAll({ limit: 2 }))
        if (mine.has(t.taskId)) found.add(t.taskId);
      if (found.size < mine.size) await new Promise((r) => setTimeout(r, 200));
    }
    expect(found).toEqual(mine);
  });

  it('throws one error class with status, code, message and details', async () => {
    const bad = await rejection(
      client.submit({ template: 'txt2img', params: { prompt: 'x', steps: 100_000 } }),
    );
    expect([bad.status, bad.code]).toEqual([400, 'INVALID_PARAMS']);
    expect(JSON.stringify(bad.details)).toContain('steps');
    const missing = await rejection(client.get('00000000-0000-4000-8000-000000000000'));
    expect([missing.status, missing.code]).toEqual([404, 'TASK_NOT_FOUND']);
    const unknownTemplate = await rejection(client.submit({ template: 'nope' }));
    expect(unknownTemplate.code).toBe('TEMPLATE_NOT_FOUND');
    const wrongKey = new ComfyServerlessClient({ baseUrl: rt.apiUrl, apiKey: 'csk_wrong' });
    const denied = await rejection(wrongKey.templates());
    expect([denied.status, denied.code]).toEqual([403, 'FORBIDDEN']);
    const down = new ComfyServerlessClient({
      baseUrl: 'http://127.0.0.1:9',
      apiKey: 'csk_x',
      maxRetries: 0,
    });
    const unreachable = await rejection(down.templates());
    expect([unreachable.status, unreachable.code]).toEqual([0, 'NETWORK_ERROR']);
  });
});
