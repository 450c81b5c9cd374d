/**
 * Nothing of a tenant left on the shared disk, end to end: a task run through the API (`npm start`)
 * with an uploaded input image, a saved output and a temp preview leaves none of them at ComfyUI
 * once it has succeeded: its output, its preview and its staged input all answer 404 at `/view`.
 * Against the stand-in always, and against the real ComfyUI at COMFYUI_URL when that server has the
 * file-cleanup extension. A control run sent straight to the same server (no API, so nothing removes
 * its files) shows that the names looked at are where that server puts such files, so a wrong name
 * cannot pass for a removed file.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpComfyClient } from '../../../shared/adapters/comfyui/http-comfy-client.js';
import type { ComfyWorkflow } from '../../../shared/domain/task.js';
import { waitForRun } from '../../contract/comfy-client.contract.js';
import { type SpawnedRuntime, spawnLocalRuntime } from '../../helpers/local-runtime.js';

interface FileRef {
  filename: string;
  subfolder: string;
  type: 'output' | 'input' | 'temp';
}

/** An 8x8 PNG of one random colour, so no server cache ever answers for a run of this test. */
function randomPng(): Buffer {
  const png = new PNG({ width: 8, height: 8 });
  const [r, g, b] = [randomInt(256), randomInt(256), randomInt(256)];
  for (let i = 0; i < png.data.length; i += 4) png.data.set([r, g, b, 255], i);
  return PNG.sync.write(png);
}

/** Load the image, save it (node 2) and preview it (node 3). */
const workflow = (image: string, prefix: string): ComfyWorkflow => ({
  '1': { class_type: 'LoadImage', inputs: { image } },
  '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: prefix } },
  '3': { class_type: 'PreviewImage', inputs: { images: ['1', 0] } },
});

/**
 * Where a run of `workflow` leaves its files for task `id`: the saved image in `output/<id>/`, the
 * preview in `temp/`, the staged input in `input/<id>/`.
 */
function filesOf(
  id: string,
  outputs: readonly { nodeId: string; filename: string }[],
  stagedName: string,
): FileRef[] {
  const saved = outputs.filter((o) => o.nodeId === '2');
  const previews = outputs.filter((o) => o.nodeId === '3');
  expect(saved.length, 'saved images').toBeGreaterThan(0);
  expect(previews.length, 'previews').toBeGreaterThan(0);
  return [
    ...saved.map((o): FileRef => ({ filename: o.filename, subfolder: id, type: 'output' })),
    ...previews.map((o): FileRef => ({ filename: o.filename, subfolder: '', type: 'temp' })),
    { filename: stagedName, subfolder: id, type: 'input' },
  ];
}

async function status(comfyUrl: string, f: FileRef): Promise<number> {
  const q = new URLSearchParams({ filename: f.filename, subfolder: f.subfolder, type: f.type });
  const res = await fetch(`${comfyUrl}/view?${q}`);
  await res.arrayBuffer();
  return res.status;
}

async function eventuallyGone(comfyUrl: string, files: FileRef[], timeoutMs = 20_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const left: FileRef[] = [];
    for (const f of files) if ((await status(comfyUrl, f)) !== 404) left.push(f);
    if (left.length === 0 || Date.now() > end) return left;
    await new Promise((r) => setTimeout(r, 200));
  }
}

const REAL = process.env.COMFYUI_URL;
/** Whether the real server has the extension: the client's own detection, asked once. */
async function hasExtension(url: string): Promise<boolean> {
  const c = HttpComfyClient.create({ baseUrl: url });
  try {
    return (await c.deleteFiles({ files: [], folders: [] })) !== undefined;
  } finally {
    await c.close();
  }
}
const REAL_WITH_EXTENSION = REAL ? await hasExtension(REAL) : false;
if (REAL && !REAL_WITH_EXTENSION) {
  console.log(`disk cleanup end to end at ${REAL} skipped: no file-cleanup extension there`);
}
const targets: [string, string | undefined][] = [
  ['the stand-in', undefined],
  ...(REAL_WITH_EXTENSION ? [[`the real ComfyUI at ${REAL}`, REAL] as [string, string]] : []),
];

describe.each(targets)('disk cleanup end to end on %s', (_label, realUrl) => {
  let rt: SpawnedRuntime;
  let comfyUrl: string;
  let comfy: HttpComfyClient;
  beforeAll(async () => {
    rt = await spawnLocalRuntime(
      realUrl
        ? { args: ['--comfyui-url', realUrl, '--poller-repeat', '100', '--quiet'] }
        : {
            args: ['--poller-repeat', '100', '--comfy-execution-ms', '200', '--quiet'],
            env: { POLL_INTERVAL_MS: '100', LOG_LEVEL: 'WARN' },
          },
    );
    comfyUrl = realUrl ?? `http://127.0.0.1:${rt.ports.comfy}`;
    comfy = HttpComfyClient.create({ baseUrl: comfyUrl, headersTimeout: 120_000 });
  }, 120_000);
  afterAll(async () => {
    await comfy?.close();
    await rt?.signal('SIGKILL');
  });

  it("leaves none of a finished task's files at ComfyUI: output, temp preview, staged input", async () => {
    // Control: the same workflow straight to the server, where nothing removes its files.
    const controlId = randomUUID();
    const staged = await comfy.uploadImage({
      filename: 'control.png',
      body: randomPng(),
      contentType: 'image/png',
      subfolder: controlId,
    });
    const controlPrompt = randomUUID();
    await comfy.submitPrompt({
      promptId: controlPrompt,
      workflow: workflow(`${controlId}/${staged.name}`, `${controlId}/kept`),
      clientId: 'disk-cleanup-test',
    });
    const controlRun = await waitForRun(comfy, controlPrompt, 170_000);
    expect(controlRun.outcome.kind).toBe('success');
    const control = filesOf(controlId, controlRun.outputs, staged.name);
    for (const f of control) expect(await status(comfyUrl, f), JSON.stringify(f)).toBe(200);
    await comfy.deleteFiles({
      files: control.filter((f) => f.type === 'temp'),
      folders: [
        { type: 'output', subfolder: controlId },
        { type: 'input', subfolder: controlId },
      ],
    });

    // The tenant's task, through the API.
    const key = rt.apiKey();
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${rt.apiUrl}${path}`, {
        method,
        headers: { 'x-api-key': key, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const image = randomPng();
    const upload = await api('POST', '/v1/uploads', {
      filename: 'mine.png',
      contentType: 'image/png',
      size: image.length,
    });
    expect(upload.status, JSON.stringify(upload.body)).toBe(201);
    const uploadId = upload.body.uploadId as string;
    const put = await fetch(upload.body.url as string, {
      method: 'PUT',
      headers: upload.body.headers as Record<string, string>,
      body: image,
    });
    expect(put.status).toBe(200);
    const submitted = await api('POST', '/v1/tasks', {
      workflow: workflow(`upload:${uploadId}`, 'kept'),
    });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(202);
    const taskId = submitted.body.taskId as string;
    let task: Record<string, unknown> = {};
    const end = Date.now() + 170_000;
    while (Date.now() < end) {
      task = (await api('GET', `/v1/tasks/${taskId}`)).body;
      if (['succeeded', 'failed', 'cancelled'].includes(task.status as string)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(task.status, JSON.stringify(task)).toBe('succeeded');

    // The dispatcher stages an upload as `<uploadId>.<ext>` in the task's input folder.
    const mine = filesOf(
      taskId,
      task.outputs as { nodeId: string; filename: string }[],
      `${uploadId}.png`,
    );
    expect(await eventuallyGone(comfyUrl, mine)).toEqual([]);
  }, 400_000);
});
