/**
 * Failure translation and retries, against the stand-in's injected faults: 5xx, dropped and reset
 * connections, hangs, cut bodies and restarts.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ComfyStandIn, startComfyStandIn } from '../../../infra/local/comfy-standin/index.js';
import { HttpComfyClient } from '../../../shared/adapters/comfyui/http-comfy-client.js';
import { ComfyUnavailableError } from '../../../shared/domain/errors.js';
import { waitForRun } from './contract.js';
import { emptyToSave, slow } from './workflows.js';

let comfy: ComfyStandIn;
let client: HttpComfyClient;

beforeAll(async () => {
  comfy = await startComfyStandIn({ executionMs: 5, nodeTimeMs: { ImageBlur: 500 } });
  client = HttpComfyClient.create({
    baseUrl: comfy.url,
    retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 5 },
  });
});
afterAll(async () => {
  await client?.close();
  await comfy?.stop();
});
beforeEach(() => comfy.control.clearFaults());

const fired = (id: number) => comfy.control.state().faults.find((f) => f.id === id)?.fired;
const submit = (workflow = emptyToSave('faults/x', Math.floor(Math.random() * 1e6), 8)) =>
  client.submitPrompt({ promptId: randomUUID(), workflow, clientId: 'faults' });

describe('GET retries', () => {
  it('retries a GET that answered 503 and succeeds within the retry budget', async () => {
    const id = comfy.control.injectFault({
      route: '/queue',
      method: 'GET',
      kind: 'status',
      status: 503,
      count: 2,
    });
    expect(await client.getQueue()).toEqual({ running: [], pending: [] });
    expect(fired(id)).toBe(2);
  });

  it('gives up after the budget with a retryable ComfyUnavailableError', async () => {
    const id = comfy.control.injectFault({ route: '/history', kind: 'status', status: 500 });
    const err = await client.getHistory(randomUUID()).catch((e) => e);
    expect(err).toBeInstanceOf(ComfyUnavailableError);
    expect(err).toMatchObject({ code: 'COMFYUI_UNAVAILABLE', retryable: true });
    expect(fired(id)).toBe(3); // 1 + 2 retries
  });

  it('retries reset and dropped connections', async () => {
    const reset = comfy.control.injectFault({ route: '/system_stats', kind: 'reset', count: 1 });
    const drop = comfy.control.injectFault({ route: '/system_stats', kind: 'drop', count: 1 });
    expect((await client.getSystemStats()).system).toBeDefined();
    expect([fired(reset), fired(drop)]).toEqual([1, 1]);
  });

  it('turns a server that never answers into ComfyUnavailableError (headers timeout)', async () => {
    const impatient = HttpComfyClient.create({
      baseUrl: comfy.url,
      headersTimeout: 200,
      retry: { retries: 0 },
    });
    try {
      comfy.control.injectFault({ route: '/prompt', method: 'GET', kind: 'hang', count: 1 });
      const err = await impatient.getQueueRemaining().catch((e) => e);
      expect(err).toBeInstanceOf(ComfyUnavailableError);
      expect(String(err.message)).toMatch(/UND_ERR_HEADERS_TIMEOUT/);
    } finally {
      await impatient.close();
    }
  });

  it('survives added latency', async () => {
    comfy.control.injectFault({ route: '*', kind: 'latency', ms: 50, count: 3 });
    expect(await client.getQueueRemaining()).toBe(0);
  });
});

describe('POSTs are never retried', () => {
  it('a 503 on POST /prompt fails once, without a second attempt and without queueing', async () => {
    const id = comfy.control.injectFault({
      route: '/prompt',
      method: 'POST',
      kind: 'status',
      status: 503,
      count: 5,
    });
    const promptId = randomUUID();
    const err = await client
      .submitPrompt({ promptId, workflow: emptyToSave('faults/p', 1, 8), clientId: 'faults' })
      .catch((e) => e);
    expect(err).toBeInstanceOf(ComfyUnavailableError);
    expect(fired(id)).toBe(1);
    expect(await client.lookup(promptId)).toEqual({ state: 'unknown' });
  });

  it('a connection dropped on POST /prompt is ComfyUnavailableError, attempted once', async () => {
    const id = comfy.control.injectFault({
      route: '/prompt',
      method: 'POST',
      kind: 'drop',
      count: 5,
    });
    expect(await submit().catch((e) => e)).toBeInstanceOf(ComfyUnavailableError);
    expect(fired(id)).toBe(1);
  });

  it('a 503 on the cancel POSTs surfaces as ComfyUnavailableError, attempted once', async () => {
    const id = comfy.control.injectFault({
      route: '/queue',
      method: 'POST',
      kind: 'status',
      status: 502,
      count: 5,
    });
    expect(await client.cancel(randomUUID()).catch((e) => e)).toBeInstanceOf(ComfyUnavailableError);
    expect(fired(id)).toBe(1);
  });
});

describe('/view bodies', () => {
  it('errors the stream with ComfyUnavailableError when the body is cut short', async () => {
    const run = await waitForRun(
      client,
      (await submit(emptyToSave('faults/view', 5, 256))).promptId,
    );
    comfy.control.injectFault({ route: '/view', kind: 'truncate', afterBytes: 100, count: 1 });
    const view = await client.view(run.outputs[0] as (typeof run.outputs)[0] & object);
    const err = await (async () => {
      for await (const _ of view.body) {
        // drain
      }
    })().catch((e) => e);
    expect(err).toBeInstanceOf(ComfyUnavailableError);
  });
});

describe('restart', () => {
  it('loses queue, running prompt, history and the number counter; files on disk survive', async () => {
    const done = await waitForRun(
      client,
      (await submit(emptyToSave('faults/keep', 42, 8))).promptId,
    );
    const running = await submit(slow(1));
    const pending = await submit(slow(2));
    for (let i = 0; i < 100 && (await client.lookup(running.promptId)).state !== 'running'; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await comfy.control.restart();
    for (const id of [done.promptId, running.promptId, pending.promptId]) {
      expect(await client.lookup(id)).toEqual({ state: 'unknown' });
    }
    expect(comfy.control.run(running.promptId)?.outcome).toBe('lost');
    expect((await submit()).number).toBe(0);
    const view = await client.view(done.outputs[0] as (typeof done.outputs)[0] & object);
    view.body.resume();
    expect(view.contentType).toBe('image/png');
  });

  it('refuses connections while down (ComfyUnavailableError), then answers again', async () => {
    const once = HttpComfyClient.create({ baseUrl: comfy.url, retry: { retries: 0 } });
    try {
      const restarting = comfy.control.restart({ downtimeMs: 300 });
      await new Promise((r) => setTimeout(r, 50));
      const err = await once.getQueue().catch((e) => e);
      expect(err).toBeInstanceOf(ComfyUnavailableError);
      await restarting;
      expect(await once.getQueue()).toEqual({ running: [], pending: [] });
    } finally {
      await once.close();
    }
  });

  it('is driven over HTTP too (/__standin/faults and /__standin/restart)', async () => {
    const res = await fetch(`${comfy.url}/__standin/faults`, {
      method: 'POST',
      body: JSON.stringify({ route: '/object_info', kind: 'status', status: 503, count: 1 }),
    });
    const { id } = (await res.json()) as { id: number };
    await client.getObjectInfo('EmptyImage');
    expect(fired(id)).toBe(1);
    await submit();
    await fetch(`${comfy.url}/__standin/restart`, { method: 'POST', body: '{}' });
    expect((await submit()).number).toBe(0);
  });
});
