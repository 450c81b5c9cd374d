/**
 * The TypeScript client against the local runtime started as `npm start` starts it: every method
 * over real HTTP (API, presigned S3 PUT and GET), as an app developer would use it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ComfyServerlessClient,
  ComfyServerlessError,
  type TaskView,
  verifyWebhook,
  type WebhookEvent,
} from '../../../clients/typescript/src/index.js';
import { REPO_ROOT, type SpawnedRuntime, spawnLocalRuntime } from '../../helpers/local-runtime.js';

const run = promisify(execFile);

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

  it('asks for webp: the output is stored converted, with both sizes', async () => {
    const { taskId } = await client.submit({
      template: 'txt2img',
      params: { prompt: 'webp please', width: 128, height: 96 },
      output: { format: 'webp' },
    });
    const done = await client.wait(taskId, { timeoutMs: 50_000 });
    expect(done.status).toBe('succeeded');
    expect(done.output).toEqual({ format: 'webp' });
    const out = done.outputs[0];
    expect(out?.contentType).toBe('image/webp');
    expect(out?.filename).toMatch(/\.webp$/);
    expect(out?.originalContentType).toBe('image/png');
    expect(out?.size).toBeLessThan(out?.originalSize as number);
    const bytes = Buffer.from(await (await fetch(out?.url as string)).arrayBuffer());
    expect(bytes.length).toBe(out?.size);
    expect(bytes.subarray(8, 12).toString('latin1')).toBe('WEBP');
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

  it('wait() long-polls the API (wait and since) instead of polling on a timer', async () => {
    const urls: string[] = [];
    const counting = new ComfyServerlessClient({
      baseUrl: rt.apiUrl,
      apiKey: rt.apiKey(),
      fetch: (input, init) => {
        urls.push(String(input));
        return fetch(input, init);
      },
    });
    const { taskId } = await counting.submit({
      template: 'txt2img',
      params: { prompt: 'long poll' },
    });
    const seen: number[] = [];
    const done = await counting.wait(taskId, {
      timeoutMs: 50_000,
      onProgress: (t) => seen.push(t.version),
    });
    expect(done.status).toBe('succeeded');
    const polls = urls.filter((u) => u.includes(`/v1/tasks/${taskId}`)).map((u) => new URL(u));
    expect(
      polls.slice(1).every((u) => u.searchParams.has('wait') && u.searchParams.has('since')),
    ).toBe(true);
    // Each answer moved the version on: no request came back empty-handed before the end.
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(polls.length).toBeLessThanOrEqual(seen.length + 1);
  });

  it('verifyWebhook accepts the deliveries the stack sends, and refuses them altered or under another secret', async () => {
    // The receiving side as an app's backend writes it: the raw body bytes and Node's req.headers.
    const received: { headers: Record<string, unknown>; body: Buffer }[] = [];
    const receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: { ...req.headers }, body: Buffer.concat(chunks) });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      const { taskId } = await client.submit(
        { template: 'txt2img', params: { prompt: 'tell me when done', width: 64, height: 64 } },
        { webhook: { url, events: ['task.running', 'task.succeeded'] } },
      );
      const secret = readFileSync(join(rt.stateDir, 'webhook-secret'), 'utf8').trim();
      const verified: { event: WebhookEvent; headers: Record<string, unknown>; body: Buffer }[] =
        [];
      const deadline = Date.now() + 60_000;
      while (!verified.some((v) => v.event.type === 'task.succeeded') && Date.now() < deadline) {
        const next = received.splice(0);
        for (const d of next)
          verified.push({ ...d, event: await verifyWebhook(secret, d.headers, d.body) });
        if (next.length === 0) await new Promise((r) => setTimeout(r, 100));
      }
      expect(verified.map((v) => v.event.data.taskId)).toEqual(verified.map(() => taskId));
      expect(verified.map((v) => v.event.type)).toContain('task.running');
      const succeeded = verified.find((v) => v.event.type === 'task.succeeded');
      expect(succeeded?.event.data.status).toBe('succeeded');
      expect(succeeded?.event.data.outputs).toHaveLength(1);
      expect((await client.get(taskId)).webhook?.deliveries).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ event: 'task.succeeded', deliveredAt: expect.any(String) }),
        ]),
      );

      // The same real delivery is refused once anything about it is off.
      const { headers, body } = succeeded as { headers: Record<string, unknown>; body: Buffer };
      const other = `whsec_${Buffer.from('another secret of 32 bytes.....!').toString('base64')}`;
      const altered = Buffer.from(body.toString().replace('"succeeded"', '"failed"'));
      const replayedLate = { now: Date.now() + 10 * 60_000 };
      const attempts = [
        () => verifyWebhook(other, headers, body),
        () => verifyWebhook(secret, headers, altered),
        () => verifyWebhook(secret, { ...headers, 'webhook-id': 'msg_other' }, body),
        () => verifyWebhook(secret, headers, body, replayedLate),
      ];
      for (const attempt of attempts) {
        expect((await rejection(attempt())).code).toBe('WEBHOOK_SIGNATURE_INVALID');
      }
    } finally {
      await new Promise((r) => receiver.close(r));
    }
  });

  it('lists the model names per folder', async () => {
    const models = await client.models();
    expect(typeof models).toBe('object');
    for (const names of Object.values(models)) expect(Array.isArray(names)).toBe(true);
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

describe('the packed package in a project outside the repository', () => {
  it('npm pack gives a tarball with types and no tests; installed elsewhere it submits and waits', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'client-consumer-'));
    const packed = await run('npm', ['pack', '--json', '--pack-destination', scratch], {
      cwd: join(REPO_ROOT, 'clients', 'typescript'),
    });
    const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    const files = info?.files.map((f) => f.path) ?? [];
    expect(files).toEqual(
      expect.arrayContaining(['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts']),
    );
    expect(files.filter((f) => /test|spec|fake|\/src\//.test(f))).toEqual([]);

    writeFileSync(
      join(scratch, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    await run('npm', ['install', '--no-audit', '--no-fund', `./${info?.filename}`], {
      cwd: scratch,
    });
    // Types: a TypeScript consumer compiles against the installed declarations, and a wrong call fails.
    writeFileSync(
      join(scratch, 'app.ts'),
      [
        "import { ComfyServerlessClient, type TaskView } from '@comfy-serverless/client';",
        "const c = new ComfyServerlessClient({ baseUrl: 'http://x', apiKey: 'k' });",
        "const t: Promise<TaskView> = c.wait('id', { timeoutMs: 1 });",
        'void t;',
      ].join('\n'),
    );
    writeFileSync(
      join(scratch, 'wrong.ts'),
      "import { ComfyServerlessClient } from '@comfy-serverless/client';\nnew ComfyServerlessClient({ baseUrl: 'x' });\n",
    );
    const tsc = join(REPO_ROOT, 'node_modules', '.bin', 'tsc');
    const tscArgs = [
      '--noEmit',
      '--strict',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--target',
      'es2022',
      '--lib',
      'es2022,dom',
    ];
    await run(tsc, [...tscArgs, 'app.ts'], { cwd: scratch });
    const wrong = await run(tsc, [...tscArgs, 'wrong.ts'], { cwd: scratch }).then(
      () => 'compiled',
      (err: { stdout: string }) => err.stdout,
    );
    expect(wrong).toMatch(/apiKey|token/);
    // Runtime: plain Node ESM, submit -> wait against npm start's stack.
    writeFileSync(
      join(scratch, 'main.mjs'),
      [
        "import { ComfyServerlessClient } from '@comfy-serverless/client';",
        'const client = new ComfyServerlessClient({ baseUrl: process.argv[2], apiKey: process.argv[3] });',
        "const { taskId } = await client.submit({ template: 'txt2img', params: { prompt: 'from a tarball', width: 64, height: 64 } });",
        'const task = await client.wait(taskId, { timeoutMs: 50000 });',
        'console.log(JSON.stringify({ status: task.status, outputs: task.outputs.length }));',
      ].join('\n'),
    );
    const out = await run('node', ['main.mjs', rt.apiUrl, rt.apiKey()], { cwd: scratch });
    expect(JSON.parse(out.stdout)).toEqual({ status: 'succeeded', outputs: 1 });
  }, 120_000);
});
