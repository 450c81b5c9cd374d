/**
 * Stand-in fidelity: the exact 400 bodies of the real captures, /view path rules, /api aliases,
 * SaveImage naming, queue order, history cap, interrupts, injected node failures, run records,
 * deterministic pictures, img2img, and the optional jobs API (with the client's feature detection).
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ComfyStandIn, startComfyStandIn } from '../../../infra/local/comfy-standin/index.js';
import { HttpComfyClient } from '../../../shared/adapters/comfyui/http-comfy-client.js';
import type { ComfyWorkflow } from '../../../shared/domain/task.js';
import { waitForRun } from './contract.js';
import { emptyToSave, slow, txt2img } from './workflows.js';

const captured = JSON.parse(
  readFileSync(new URL('../../fixtures/comfy/bad_prompts.json', import.meta.url), 'utf8'),
) as Record<string, { status: number; body: unknown }>;
const runtimeErrorCapture = JSON.parse(
  readFileSync(new URL('../../fixtures/comfy/history_runtime_error.json', import.meta.url), 'utf8'),
);

// The workflows that, sent to a real ComfyUI v0.3.64, produced test/fixtures/comfy/bad_prompts.json.
const BAD: Record<string, unknown> = {
  'unknown class_type': { prompt: { '1': { class_type: 'NoSuchNode', inputs: {} } } },
  'missing required input': {
    prompt: {
      '1': { class_type: 'EmptyImage', inputs: { width: 8, height: 8, batch_size: 1, color: 0 } },
      '2': { class_type: 'SaveImage', inputs: { filename_prefix: 'x' } },
    },
  },
  'bad value type': {
    prompt: {
      '1': {
        class_type: 'EmptyImage',
        inputs: { width: 'abc', height: 8, batch_size: 1, color: 0 },
      },
      '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'x' } },
    },
  },
  'value out of range': {
    prompt: {
      '1': { class_type: 'EmptyImage', inputs: { width: 0, height: 8, batch_size: 1, color: 0 } },
      '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'x' } },
    },
  },
  'no output node': {
    prompt: {
      '1': { class_type: 'EmptyImage', inputs: { width: 8, height: 8, batch_size: 1, color: 0 } },
    },
  },
  'LoadImage of missing file': {
    prompt: {
      '1': { class_type: 'LoadImage', inputs: { image: 'does_not_exist.png' } },
      '2': { class_type: 'PreviewImage', inputs: { images: ['1', 0] } },
    },
  },
  'checkpoint not in list': {
    prompt: {
      '1': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'nope.safetensors' } },
      '2': { class_type: 'EmptyLatentImage', inputs: { width: 64, height: 64, batch_size: 1 } },
      '3': { class_type: 'VAEDecode', inputs: { samples: ['2', 0], vae: ['1', 2] } },
      '4': { class_type: 'SaveImage', inputs: { images: ['3', 0], filename_prefix: 'x' } },
    },
  },
  "no 'prompt' key": { workflow: {} },
};

let comfy: ComfyStandIn;
let client: HttpComfyClient;

beforeAll(async () => {
  comfy = await startComfyStandIn({
    executionMs: 10,
    checkpoints: ['random_sd15_full.safetensors', 'random_sd15_small.safetensors'],
  });
  client = HttpComfyClient.create({ baseUrl: comfy.url, retry: { retries: 0 } });
});
afterAll(async () => {
  await client?.close();
  await comfy?.stop();
});

const post = (path: string, body: unknown) =>
  fetch(`${comfy.url}${path}`, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const submit = (workflow: ComfyWorkflow, promptId = randomUUID()) =>
  client.submitPrompt({ promptId, workflow, clientId: 'standin-test' });
const bytesOf = async (file: { filename: string; subfolder: string; type: string }) => {
  const v = await client.view(file);
  const chunks: Buffer[] = [];
  for await (const c of v.body) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
};

describe('POST /prompt validation', () => {
  it.each(Object.keys(BAD))('answers %s exactly like the captured ComfyUI', async (name) => {
    const res = await post('/prompt', BAD[name]);
    expect(res.status).toBe(captured[name]?.status);
    expect(await res.json()).toEqual(captured[name]?.body);
  });

  it('answers a link to a missing node with exception_during_validation (KeyError), like the capture', async () => {
    const res = await post('/prompt', {
      prompt: {
        '2': { class_type: 'SaveImage', inputs: { images: ['7', 0], filename_prefix: 'x' } },
      },
    });
    const body = (await res.json()) as {
      error: unknown;
      node_errors: Record<string, { errors: { extra_info: Record<string, unknown> }[] }>;
    };
    const want = captured['link to missing node']?.body as typeof body;
    expect(res.status).toBe(400);
    expect(body.error).toEqual(want.error);
    const [got] = body.node_errors['2']?.errors ?? [];
    const [exp] = want.node_errors['2']?.errors ?? [];
    expect({ ...got, extra_info: { ...got?.extra_info, traceback: [] } }).toEqual({
      ...exp,
      extra_info: { ...exp?.extra_info, traceback: [] },
    });
  });

  it('answers malformed JSON with aiohttp 500 text, and is reachable under /api', async () => {
    const res = await post('/api/prompt', '{not json');
    expect(res.status).toBe(500);
    expect(await res.text()).toBe(captured['malformed JSON body']?.body);
  });

  it('counts numbers per POST (failed ones too), honours number and front, and runs the lowest first', async () => {
    comfy.control.setExecutionMs(150);
    const first = await submit(emptyToSave('order/a', 1, 8));
    const n = first.number;
    await post('/prompt', { workflow: {} }); // a 400 still takes a number
    const later = await submit(emptyToSave('order/b', 2, 8));
    expect(later.number).toBe(n + 2);
    const explicitId = randomUUID();
    const explicit = await post('/prompt', {
      prompt: emptyToSave('order/c', 3, 8),
      number: 1000,
      prompt_id: explicitId,
    });
    expect(((await explicit.json()) as { number: number }).number).toBe(1000);
    const frontId = randomUUID();
    const front = (await (
      await post('/prompt', {
        prompt: emptyToSave('order/d', 4, 8),
        front: true,
        prompt_id: frontId,
      })
    ).json()) as {
      number: number;
    };
    expect(front.number).toBe(-(n + 3));
    const q = await client.getQueue();
    expect(q.pending.map((e) => e.promptId)).toEqual([frontId, later.promptId, explicitId]);
    await comfy.control.idle();
    comfy.control.setExecutionMs(10);
    const ran = comfy.control.runs().map((r) => r.promptId);
    const order = [first.promptId, frontId, later.promptId, explicitId].map((id) =>
      ran.indexOf(id),
    );
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(order[0]).toBeGreaterThanOrEqual(0);
  });
});

describe('files', () => {
  it('names SaveImage files from the prefix: subfolder, base, counter, with a prompt tEXt chunk', async () => {
    const a = await waitForRun(
      client,
      (await submit(emptyToSave('naming/sub/shot', 10, 8))).promptId,
    );
    const b = await waitForRun(
      client,
      (await submit(emptyToSave('naming/sub/shot', 11, 8))).promptId,
    );
    expect(a.outputs[0]).toMatchObject({ subfolder: 'naming/sub', filename: 'shot_00001_.png' });
    expect(b.outputs[0]).toMatchObject({ subfolder: 'naming/sub', filename: 'shot_00002_.png' });
    const bytes = await bytesOf(a.outputs[0] as (typeof a.outputs)[0] & object);
    expect(bytes.includes(Buffer.from('tEXtprompt\0', 'latin1'))).toBe(true);
  });

  it('applies /view path rules: 400 for .. and unknown types, 403 for escaping subfolders, 404 for missing', async () => {
    const view = (q: string) => fetch(`${comfy.url}/view?${q}`).then((r) => r.status);
    expect(await view('filename=../main.py')).toBe(400);
    expect(await view('filename=x.png&type=bogus')).toBe(400);
    expect(await view('filename=x.png&subfolder=../../')).toBe(403);
    expect(await view('filename=nothing_here.png')).toBe(404);
    expect(await view('subfolder=x')).toBe(404);
  });

  it('serves byte ranges of /view like aiohttp FileResponse', async () => {
    const run = await waitForRun(client, (await submit(emptyToSave('range/r', 12, 8))).promptId);
    const f = run.outputs[0] as (typeof run.outputs)[0] & object;
    const res = await fetch(
      `${comfy.url}/api/view?filename=${f.filename}&subfolder=${f.subfolder}&type=output`,
      {
        headers: { range: 'bytes=0-7' },
      },
    );
    expect(res.status).toBe(206);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(
      Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    );
  });

  it('PreviewImage writes to temp with a ComfyUI_temp_ prefix', async () => {
    const wf: ComfyWorkflow = {
      '1': { class_type: 'EmptyImage', inputs: { width: 8, height: 8, batch_size: 2, color: 5 } },
      '2': { class_type: 'PreviewImage', inputs: { images: ['1', 0] } },
    };
    const run = await waitForRun(client, (await submit(wf)).promptId);
    expect(run.outputs).toHaveLength(2);
    expect(run.outputs[0]).toMatchObject({ type: 'temp', subfolder: '' });
    expect(run.outputs[0]?.filename).toMatch(/^ComfyUI_temp_[a-z]{5}_00001_\.png$/);
  });
});

describe('execution', () => {
  it('makes the same picture for the same inputs and a different one for another seed', async () => {
    const uncached = await startComfyStandIn({ executionMs: 1, cache: false });
    const c = HttpComfyClient.create({ baseUrl: uncached.url });
    try {
      const run = async (seed: number) => {
        const s = await c.submitPrompt({
          promptId: randomUUID(),
          workflow: txt2img('random_sd15_small.safetensors', seed, 't/x'),
          clientId: 'x',
        });
        const r = await waitForRun(c, s.promptId);
        const v = await c.view(r.outputs[0] as (typeof r.outputs)[0] & object);
        const chunks: Buffer[] = [];
        for await (const ch of v.body) chunks.push(Buffer.from(ch));
        return PNG.sync.read(Buffer.concat(chunks));
      };
      const [a, b, other] = [await run(7), await run(7), await run(8)];
      expect([a.width, a.height]).toEqual([64, 64]);
      expect(a.data.equals(b.data)).toBe(true);
      expect(a.data.equals(other.data)).toBe(false);
    } finally {
      await c.close();
      await uncached.stop();
    }
  });

  it('runs img2img (LoadImage -> VAEEncode -> KSampler denoise 0.5 -> VAEDecode) at the input size', async () => {
    const png = new PNG({ width: 32, height: 24 });
    png.data.fill(200);
    const up = await client.uploadImage({
      filename: 'img2img.png',
      body: PNG.sync.write(png),
      contentType: 'image/png',
    });
    const wf: ComfyWorkflow = {
      ...txt2img('random_sd15_small.safetensors', 3, 'i2i/out'),
      '10': { class_type: 'LoadImage', inputs: { image: up.name } },
      '11': { class_type: 'VAEEncode', inputs: { pixels: ['10', 0], vae: ['4', 2] } },
    };
    (wf['3'] as { inputs: Record<string, unknown> }).inputs.latent_image = ['11', 0];
    (wf['3'] as { inputs: Record<string, unknown> }).inputs.denoise = 0.5;
    delete wf['5'];
    const run = await waitForRun(client, (await submit(wf)).promptId);
    expect(run.outcome.kind).toBe('success');
    const out = PNG.sync.read(await bytesOf(run.outputs[0] as (typeof run.outputs)[0] & object));
    expect([out.width, out.height]).toEqual([32, 24]);
  });

  it('interrupts a KSampler between steps, only for the prompt id given', async () => {
    comfy.control.setNodeTimeMs('KSampler', 2000);
    try {
      const wf = txt2img('random_sd15_small.safetensors', 99, 'int/x');
      (wf['3'] as { inputs: Record<string, unknown> }).inputs.steps = 20;
      const s = await submit(wf);
      for (let i = 0; i < 200 && comfy.control.state().running !== s.promptId; i++)
        await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 300)); // well inside KSampler
      await post('/interrupt', { prompt_id: randomUUID() }); // someone else's id: no effect
      expect(comfy.control.state().running).toBe(s.promptId);
      await post('/interrupt', { prompt_id: s.promptId });
      const run = await waitForRun(client, s.promptId);
      expect(run.outcome).toEqual({ kind: 'interrupted', nodeId: '3', nodeType: 'KSampler' });
      expect(comfy.control.run(s.promptId)?.outcome).toBe('interrupted');
    } finally {
      comfy.control.setNodeTimeMs('KSampler', 0);
    }
  });

  it('fails a chosen node at runtime with an execution_error shaped like the real one', async () => {
    const remove = comfy.control.failNode({
      classType: 'ImageInvert',
      message: 'CUDA out of memory',
      exceptionType: 'torch.OutOfMemoryError',
      count: 1,
    });
    try {
      const wf: ComfyWorkflow = {
        '1': { class_type: 'EmptyImage', inputs: { width: 8, height: 8, batch_size: 1, color: 9 } },
        '2': { class_type: 'ImageInvert', inputs: { image: ['1', 0] } },
        '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'fail/x' } },
      };
      const s = await submit(wf);
      const run = await waitForRun(client, s.promptId);
      expect(run.outcome).toEqual({
        kind: 'error',
        nodeId: '2',
        nodeType: 'ImageInvert',
        exceptionMessage: 'CUDA out of memory',
        exceptionType: 'torch.OutOfMemoryError',
      });
      const raw = (await (await fetch(`${comfy.url}/history/${s.promptId}`)).json()) as Record<
        string,
        { status: { messages: [string, object][] } }
      >;
      const errorData =
        raw[s.promptId]?.status.messages.find(([e]) => e === 'execution_error')?.[1] ?? {};
      const realData = runtimeErrorCapture.status.messages[2][1];
      expect(Object.keys(errorData).sort()).toEqual(Object.keys(realData).sort());
      // count: 1 -> the next run succeeds
      expect(
        (
          await waitForRun(
            client,
            (
              await submit({
                ...wf,
                '1': {
                  class_type: 'EmptyImage',
                  inputs: { width: 8, height: 8, batch_size: 1, color: 10 },
                },
              })
            ).promptId,
          )
        ).outcome.kind,
      ).toBe('success');
    } finally {
      remove();
    }
  });

  it('records each run with its files, sizes and sha256 matching what /view serves', async () => {
    const s = await submit(emptyToSave('records/r', 77, 16));
    const run = await waitForRun(client, s.promptId);
    const record = comfy.control.run(s.promptId);
    expect(record).toMatchObject({ promptId: s.promptId, number: s.number, outcome: 'success' });
    expect(record?.finishedAt).toBeGreaterThanOrEqual(
      record?.startedAt ?? Number.POSITIVE_INFINITY,
    );
    const bytes = await bytesOf(run.outputs[0] as (typeof run.outputs)[0] & object);
    expect(record?.outputs[0]).toMatchObject({
      filename: run.outputs[0]?.filename,
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
  });

  it('keeps at most maxHistory + 1 entries, dropping the oldest (as ComfyUI task_done does)', async () => {
    const small = await startComfyStandIn({ executionMs: 1, maxHistory: 2 });
    const c = HttpComfyClient.create({ baseUrl: small.url });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const s = await c.submitPrompt({
          promptId: randomUUID(),
          workflow: emptyToSave('cap/x', 100 + i, 8),
          clientId: 'x',
        });
        ids.push(s.promptId);
        await waitForRun(c, s.promptId);
      }
      const kept = (await c.listHistory()).map((r) => r.promptId);
      expect(kept).toEqual(ids.slice(2));
    } finally {
      await c.close();
      await small.stop();
    }
  });

  it('writes a large output under any ui key, served by /view without being stored', async () => {
    const wf: ComfyWorkflow = {
      '1': {
        class_type: 'StandInLargeOutput',
        inputs: {
          size_bytes: 300_000,
          filename_prefix: 'big/clip',
          ui_key: 'videos',
          extension: 'mp4',
        },
      },
    };
    const run = await waitForRun(client, (await submit(wf)).promptId);
    expect(run.outputs).toEqual([
      {
        nodeId: '1',
        kind: 'videos',
        filename: 'clip_00001_.mp4',
        subfolder: 'big',
        type: 'output',
      },
    ]);
    const bytes = await bytesOf(run.outputs[0] as (typeof run.outputs)[0] & object);
    expect(bytes.length).toBe(300_000);
    expect(comfy.control.run(run.promptId)?.outputs[0]?.sha256).toBe(
      createHash('sha256').update(bytes).digest('hex'),
    );
  });
});

describe('jobs API (newer ComfyUI), when enabled', () => {
  it('is detected by the client and used for lookup and cancel', async () => {
    const modern = await startComfyStandIn({
      executionMs: 1,
      jobsApi: true,
      version: '0.9.0',
      nodeTimeMs: { ImageBlur: 300 },
    });
    const legacy = await startComfyStandIn({ executionMs: 1 });
    const c = HttpComfyClient.create({ baseUrl: modern.url });
    const old = HttpComfyClient.create({ baseUrl: legacy.url });
    try {
      expect(await c.getFeatures()).toMatchObject({
        jobsApi: true,
        jobsCancel: true,
        promptScopedInterrupt: true,
      });
      expect(await old.getFeatures()).toMatchObject({
        jobsApi: false,
        jobsCancel: false,
        promptScopedInterrupt: true,
      });
      const a = await c.submitPrompt({ promptId: randomUUID(), workflow: slow(1), clientId: 'x' });
      const b = await c.submitPrompt({ promptId: randomUUID(), workflow: slow(2), clientId: 'x' });
      for (let i = 0; i < 100 && (await c.lookup(a.promptId)).state !== 'running'; i++)
        await new Promise((r) => setTimeout(r, 10));
      expect(await c.lookup(a.promptId)).toEqual({ state: 'running', number: a.number });
      expect(await c.lookup(b.promptId)).toEqual({
        state: 'pending',
        position: 0,
        number: b.number,
      });
      expect(await c.lookup(randomUUID())).toEqual({ state: 'unknown' });
      await c.cancel(b.promptId);
      await c.cancel(a.promptId);
      const run = await waitForRun(c, a.promptId);
      expect(run.outcome.kind).toBe('interrupted');
      expect(await c.lookup(b.promptId)).toEqual({ state: 'unknown' });
    } finally {
      await Promise.all([c.close(), old.close()]);
      await Promise.all([modern.stop(), legacy.stop()]);
    }
  });
});

describe('allocations that would exhaust the machine', () => {
  it.each([
    [
      'EmptyLatentImage 16384x16384x4096',
      {
        '1': {
          class_type: 'CheckpointLoaderSimple',
          inputs: { ckpt_name: 'random_sd15_small.safetensors' },
        },
        '2': {
          class_type: 'EmptyLatentImage',
          inputs: { width: 16384, height: 16384, batch_size: 4096 },
        },
        '3': { class_type: 'VAEDecode', inputs: { samples: ['2', 0], vae: ['1', 2] } },
        '4': { class_type: 'SaveImage', inputs: { images: ['3', 0], filename_prefix: 'huge' } },
      },
      '2',
    ],
    [
      'EmptyImage 16384x16384 (1 GiB of pixels)',
      {
        '1': {
          class_type: 'EmptyImage',
          inputs: { width: 16384, height: 16384, batch_size: 1, color: 0 },
        },
        '2': { class_type: 'PreviewImage', inputs: { images: ['1', 0] } },
      },
      '1',
    ],
  ] as const)(
    'fail the node like a CPU allocator would, and the server goes on: %s',
    async (_n, workflow, node) => {
      // Act
      const promptId = randomUUID();
      await client.submitPrompt({
        promptId,
        workflow: workflow as ComfyWorkflow,
        clientId: 'alloc',
      });
      const run = await waitForRun(client, promptId);
      const after = randomUUID();
      await client.submitPrompt({
        promptId: after,
        workflow: emptyToSave('after', 1, 8),
        clientId: 'alloc',
      });
      const next = await waitForRun(client, after);
      // Assess
      expect(run.outcome).toMatchObject({
        kind: 'error',
        nodeId: node,
        exceptionType: 'RuntimeError',
        exceptionMessage: expect.stringContaining('not enough memory'),
      });
      expect(next.outcome.kind).toBe('success');
    },
  );
});
