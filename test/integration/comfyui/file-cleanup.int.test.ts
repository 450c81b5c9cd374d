/**
 * The file-cleanup extension (infra/comfyui-extension/comfy_serverless) through the real client: a
 * task's outputs, temp previews and staged inputs are removed, nothing else, and every path that
 * would leave ComfyUI's output/input/temp folders is refused before anything is deleted. Runs against
 * the stand-in (which implements the same route) and, when COMFYUI_URL is set, against that real
 * ComfyUI: with the extension installed the same checks run; without it the client must detect
 * that it is missing.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ComfyStandIn, startComfyStandIn } from '../../../infra/local/comfy-standin/index.js';
import { HttpComfyClient } from '../../../shared/adapters/comfyui/http-comfy-client.js';
import { ComfyRequestError } from '../../../shared/domain/errors.js';
import type { ComfyFileRef } from '../../../shared/ports/comfy-client.js';
import { submitWith, waitForRun } from '../../contract/comfy-client.contract.js';

const PNG_1X1 = Buffer.from(
  '89504e470d0a1a0a0000000d4948445200000001000000010806000000' +
    '1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a5d6e1d30000000049454e44ae426082',
  'hex',
);

async function exists(client: HttpComfyClient, file: ComfyFileRef): Promise<boolean> {
  try {
    const v = await client.view(file);
    v.body.destroy();
    return true;
  } catch (err) {
    if (err instanceof ComfyRequestError && err.status === 404) return false;
    throw err;
  }
}

function cleanupSuite(target: () => HttpComfyClient) {
  /** A finished task's files: a saved output, a temp preview, a staged input, and a bystander's input. */
  async function taskOnDisk() {
    const client = target();
    const taskId = randomUUID();
    const staged = await client.uploadImage({
      filename: 'staged.png',
      body: PNG_1X1,
      contentType: 'image/png',
      subfolder: taskId,
    });
    const bystander = await client.uploadImage({
      filename: `bystander-${taskId}.png`,
      body: PNG_1X1,
      contentType: 'image/png',
    });
    const s = await submitWith(client, {
      '1': { class_type: 'LoadImage', inputs: { image: `${taskId}/${staged.name}` } },
      '2': {
        class_type: 'SaveImage',
        inputs: { images: ['1', 0], filename_prefix: `${taskId}/out` },
      },
      '3': { class_type: 'PreviewImage', inputs: { images: ['1', 0] } },
    });
    const run = await waitForRun(client, s.promptId);
    return { client, taskId, run, staged, bystander };
  }

  it("removes a task's outputs, temp previews and staged inputs, and nothing else", async () => {
    const { client, taskId, run, staged, bystander } = await taskOnDisk();
    const files = run.outputs.map(({ filename, subfolder, type }) => ({
      filename,
      subfolder,
      type,
    }));
    expect(files.map((f) => f.type).sort()).toEqual(['output', 'temp']);
    const stagedRef = { filename: staged.name, subfolder: taskId, type: 'input' };
    const bystanderRef = { filename: bystander.name, subfolder: '', type: 'input' };
    for (const f of [...files, stagedRef, bystanderRef]) expect(await exists(client, f)).toBe(true);

    const removed = await client.deleteFiles({
      files,
      folders: [
        { type: 'output', subfolder: taskId },
        { type: 'input', subfolder: taskId },
      ],
    });

    // The output file goes with its own entry; its folder then counts as removed (or already empty).
    expect(removed?.deleted).toBeGreaterThanOrEqual(3);
    for (const f of [...files, stagedRef]) expect(await exists(client, f), f.filename).toBe(false);
    expect(await exists(client, bystanderRef)).toBe(true);
    await client.deleteFiles({ files: [bystanderRef], folders: [] });
  });

  it('answers an empty request (the feature probe) and counts what is already gone', async () => {
    const client = target();
    expect(await client.deleteFiles({ files: [], folders: [] })).toEqual({
      deleted: 0,
      missing: 0,
    });
    const gone = randomUUID();
    expect(
      await client.deleteFiles({
        files: [{ filename: 'nothing.png', subfolder: gone, type: 'output' }],
        folders: [{ subfolder: gone, type: 'input' }],
      }),
    ).toEqual({ deleted: 0, missing: 2 });
  });

  it.each([
    [
      'a parent reference in the name',
      { files: [{ filename: '../keep.png', subfolder: '', type: 'input' }] },
    ],
    [
      'a parent reference in the subfolder',
      { files: [{ filename: 'x.png', subfolder: '../input', type: 'output' }] },
    ],
    [
      'a deep parent reference',
      { files: [{ filename: 'x.png', subfolder: 'a/../../input', type: 'output' }] },
    ],
    ['an absolute name', { files: [{ filename: '/etc/hostname', subfolder: '', type: 'output' }] }],
    ['an absolute subfolder', { folders: [{ subfolder: '/tmp', type: 'output' }] }],
    ['a backslash', { files: [{ filename: '..\\keep.png', subfolder: '', type: 'input' }] }],
    ['a NUL byte', { files: [{ filename: 'keep.png\u0000.txt', subfolder: '', type: 'input' }] }],
    [
      'a folder outside the three',
      { files: [{ filename: 'x.safetensors', subfolder: '', type: 'models' }] },
    ],
    ['the base folder itself', { folders: [{ subfolder: '', type: 'input' }] }],
    ['the base folder as "."', { folders: [{ subfolder: './', type: 'output' }] }],
    ['a name that is not a string', { files: [{ filename: 7, subfolder: '', type: 'output' }] }],
  ])('refuses %s with 400 and deletes nothing of the request', async (_what, body) => {
    const { client, bystander } = await taskOnDisk();
    const bystanderRef = { filename: bystander.name, subfolder: '', type: 'input' };
    const request = {
      files: [bystanderRef, ...((body as { files?: ComfyFileRef[] }).files ?? [])],
      folders: (body as { folders?: never[] }).folders ?? [],
    };
    const err = await client.deleteFiles(request).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ComfyRequestError);
    expect((err as ComfyRequestError).status).toBe(400);
    expect(await exists(client, bystanderRef)).toBe(true);
    await client.deleteFiles({ files: [bystanderRef], folders: [] });
  });
}

describe('file cleanup on the stand-in', () => {
  let comfy: ComfyStandIn;
  let client: HttpComfyClient;
  beforeAll(async () => {
    comfy = await startComfyStandIn({ executionMs: 10 });
    client = HttpComfyClient.create({ baseUrl: comfy.url });
  });
  afterAll(async () => {
    await client?.close();
    await comfy?.stop();
  });
  cleanupSuite(() => client);

  it('is detected as missing on a server without the extension', async () => {
    const plain = await startComfyStandIn({ fileCleanup: false });
    const c = HttpComfyClient.create({ baseUrl: plain.url });
    try {
      expect(await c.deleteFiles({ files: [], folders: [] })).toBeUndefined();
    } finally {
      await c.close();
      await plain.stop();
    }
  });
});

const REAL = process.env.COMFYUI_URL;
/** Whether the real server has the extension: the client's own detection, asked once. */
async function probe(url: string): Promise<boolean> {
  const c = HttpComfyClient.create({ baseUrl: url });
  try {
    return (await c.deleteFiles({ files: [], folders: [] })) !== undefined;
  } finally {
    await c.close();
  }
}
const INSTALLED = REAL ? await probe(REAL) : false;
if (REAL) {
  console.log(
    `real ComfyUI at ${REAL}: file-cleanup extension ${INSTALLED ? 'installed' : 'absent'}`,
  );
}

// Needs a real ComfyUI (COMFYUI_URL) started with the extension in its custom_nodes; without it only
// the detection below runs.
describe.skipIf(!INSTALLED)(`file cleanup on the real ComfyUI at ${REAL ?? '(unset)'}`, () => {
  let client: HttpComfyClient;
  beforeAll(() => {
    client = HttpComfyClient.create({ baseUrl: REAL as string, headersTimeout: 120_000 });
  });
  afterAll(async () => {
    await client?.close();
  });
  cleanupSuite(() => client);
});

// Needs a real ComfyUI (COMFYUI_URL) without the extension.
describe.skipIf(!REAL || INSTALLED)('a real ComfyUI without the extension', () => {
  it('is detected as missing, on every call', async () => {
    const c = HttpComfyClient.create({ baseUrl: REAL as string });
    try {
      expect(await c.deleteFiles({ files: [], folders: [] })).toBeUndefined();
      expect(await c.deleteFiles({ files: [], folders: [] })).toBeUndefined();
    } finally {
      await c.close();
    }
  });
});
