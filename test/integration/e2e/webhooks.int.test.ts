/**
 * Webhooks end to end through the local runtime started as `npm start` starts it: a receiver on
 * 127.0.0.1 verifies every delivery with the `standardwebhooks` package and the secret `npm start`
 * wrote to `.local/webhook-secret`, and fetches the output links it was given. Against the ComfyUI
 * stand-in always, and against a real ComfyUI when COMFYUI_URL points at one.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SpawnedRuntime, spawnLocalRuntime } from '../../helpers/local-runtime.js';

interface Delivery {
  id: string;
  type: string;
  data: {
    taskId: string;
    status: string;
    outputs: { url: string; contentType: string }[];
    progress?: { fraction: number };
  };
  at: number;
}

/** A receiver that verifies signatures and answers `plan(n)` for the n-th request of an event. */
async function startReceiver(secret: () => string, plan: (type: string, n: number) => number) {
  const verified: Delivery[] = [];
  const rejected: string[] = [];
  const attempts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      try {
        const event = new Webhook(secret()).verify(body, req.headers as Record<string, string>) as {
          type: string;
          data: Delivery['data'];
        };
        const id = String(req.headers['webhook-id']);
        const n = (attempts.get(id) ?? 0) + 1;
        attempts.set(id, n);
        const status = plan(event.type, n);
        if (status < 300) verified.push({ id, type: event.type, data: event.data, at: Date.now() });
        res.writeHead(status).end();
      } catch (err) {
        rejected.push(String(err));
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, verified, rejected, attempts, close: () => new Promise((r) => server.close(r)) };
}

async function until<T>(what: string, get: () => T | undefined, ms = 120_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A real ComfyUI may be shared and busy with other runs: its tests wait up to three minutes (the
 * receiver's own wait is two).
 */
const RUN_TIMEOUT_MS = 180_000;

function suite(name: string, args: string[], params: Record<string, unknown>) {
  describe(name, () => {
    let rt: SpawnedRuntime;
    const secret = () => readFileSync(join(rt.stateDir, 'webhook-secret'), 'utf8').trim();
    beforeAll(async () => {
      rt = await spawnLocalRuntime({
        env: { POLL_INTERVAL_MS: '200', LOG_LEVEL: 'WARN', WEBHOOK_RETRY_DELAYS_SECONDS: '1,1,1' },
        args: ['--poller-repeat', '100', '--quiet', ...args],
      });
    }, 90_000);
    afterAll(async () => {
      await rt?.signal('SIGINT');
    });

    const submit = async (webhook: unknown) => {
      const res = await fetch(`${rt.apiUrl}/v1/tasks`, {
        method: 'POST',
        headers: { 'x-api-key': rt.apiKey(), 'content-type': 'application/json' },
        body: JSON.stringify({ template: 'txt2img', params, webhook }),
      });
      const body = (await res.json()) as { taskId: string };
      expect(res.status, JSON.stringify(body)).toBe(202);
      return body.taskId;
    };
    const get = async (taskId: string) =>
      (await (
        await fetch(`${rt.apiUrl}/v1/tasks/${taskId}`, { headers: { 'x-api-key': rt.apiKey() } })
      ).json()) as {
        status: string;
        finishedAt?: string;
        webhook?: { deliveries: { event: string; attempts: number; deliveredAt?: string }[] };
      };

    it(
      'delivers a verified task.succeeded (and running, progress) whose links work',
      async () => {
        expect(secret()).toMatch(/^whsec_/);
        const receiver = await startReceiver(secret, () => 204);
        try {
          const taskId = await submit({
            url: receiver.url,
            events: ['task.running', 'task.progress', 'task.succeeded'],
          });
          const done = await until('task.succeeded', () =>
            receiver.verified.find((d) => d.type === 'task.succeeded' && d.data.taskId === taskId),
          );
          expect(receiver.rejected).toEqual([]);
          expect(done.data.status).toBe('succeeded');
          const output = await fetch(done.data.outputs[0]?.url ?? '');
          expect(output.status).toBe(200);
          expect(output.headers.get('content-type')).toBe('image/png');
          expect(
            Buffer.from(await output.arrayBuffer())
              .subarray(1, 4)
              .toString(),
          ).toBe('PNG');
          expect(receiver.verified.some((d) => d.type === 'task.running')).toBe(true);
          // What the receiver got, for the record.
          console.log(
            `${name}: verified ${receiver.verified.map((d) => d.type).join(', ')}; output link ${output.status} ${output.headers.get('content-type')}`,
          );
          const ids = receiver.verified.filter((d) => d.type !== 'task.progress').map((d) => d.id);
          expect(new Set(ids).size).toBe(ids.length);
          let view = await get(taskId);
          const deadline = Date.now() + 10_000;
          while (
            !view.webhook?.deliveries.find((d) => d.event === 'task.succeeded')?.deliveredAt &&
            Date.now() < deadline
          ) {
            await new Promise((r) => setTimeout(r, 100));
            view = await get(taskId);
          }
          expect(view.status).toBe('succeeded');
          expect(view.webhook?.deliveries.find((d) => d.event === 'task.succeeded')).toMatchObject({
            attempts: 1,
            deliveredAt: expect.any(String),
          });
        } finally {
          await receiver.close();
        }
      },
      RUN_TIMEOUT_MS,
    );

    it(
      'retries a failing receiver with the same webhook-id until it answers 2xx',
      async () => {
        const receiver = await startReceiver(secret, (type, n) =>
          type === 'task.succeeded' && n <= 2 ? 500 : 200,
        );
        try {
          const taskId = await submit({ url: receiver.url });
          const done = await until('task.succeeded', () =>
            receiver.verified.find((d) => d.type === 'task.succeeded' && d.data.taskId === taskId),
          );
          expect(receiver.attempts.get(done.id)).toBe(3);
          let recorded: { attempts: number; deliveredAt?: string } | undefined;
          const deadline = Date.now() + 10_000;
          while (!recorded?.deliveredAt && Date.now() < deadline) {
            recorded = (await get(taskId)).webhook?.deliveries.find(
              (d) => d.event === 'task.succeeded',
            );
            await new Promise((r) => setTimeout(r, 100));
          }
          expect(recorded).toMatchObject({ attempts: 3, deliveredAt: expect.any(String) });
        } finally {
          await receiver.close();
        }
      },
      RUN_TIMEOUT_MS,
    );

    it('refuses a webhook URL that points at a private address with 400', async () => {
      const res = await fetch(`${rt.apiUrl}/v1/tasks`, {
        method: 'POST',
        headers: { 'x-api-key': rt.apiKey(), 'content-type': 'application/json' },
        body: JSON.stringify({
          template: 'txt2img',
          params,
          webhook: { url: 'http://169.254.169.254/latest/meta-data/' },
        }),
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
        'INVALID_WEBHOOK_URL',
      );
    });
  });
}

suite('webhooks (stand-in)', ['--comfy-execution-ms', '1500'], {
  prompt: 'a lighthouse',
  steps: 10,
});
if (process.env.COMFYUI_URL)
  suite('webhooks (real ComfyUI at COMFYUI_URL)', ['--comfyui-url', process.env.COMFYUI_URL], {
    prompt: 'a lighthouse',
    steps: 8,
    width: 64,
    height: 64,
    checkpoint: 'random_sd15_small.safetensors',
  });
