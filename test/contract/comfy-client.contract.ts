/**
 * The ComfyClient contract: what the rest of the product relies on from any ComfyClient. It runs
 * against the in-memory fake (unit), against HttpComfyClient talking to the stand-in (integration)
 * and, unchanged, against a real ComfyUI when COMFYUI_URL is set. What only a server over HTTP shows
 * (validation details, caching, image bytes, wire shapes) is in
 * test/integration/comfyui/contract.ts.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ComfyRejectedError, ComfyRequestError } from '../../shared/domain/errors.js';
import type { ComfyWorkflow } from '../../shared/domain/task.js';
import type { ComfyClient, ComfyRun, LookupResult } from '../../shared/ports/comfy-client.js';
import { emptyToSave, slow } from '../integration/comfyui/workflows.js';

export interface ComfyClientSubject {
  client: ComfyClient;
}

const CLIENT_ID = `contract-${randomBytes(4).toString('hex')}`;
/** A per-run tag so repeated runs against one long-lived server never collide (files, cache). */
const TAG = randomBytes(3).toString('hex');
let colorSeq = Number.parseInt(TAG, 16) % 1_000_000;
/** A color no earlier run used, so ComfyUI's cache never serves a contract prompt. */
export const nextColor = () => colorSeq++;
export const CONTRACT_TAG = TAG;

/** Wait until the prompt is in ComfyUI's history. */
export async function waitForRun(
  client: ComfyClient,
  promptId: string,
  timeoutMs = 60_000,
): Promise<ComfyRun> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const r = await client.lookup(promptId);
    if (r.state === 'finished') return r.run;
    if (r.state === 'unknown') throw new Error(`prompt ${promptId} is unknown to the server`);
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`prompt ${promptId} did not finish in ${timeoutMs} ms`);
}

async function waitForState(
  client: ComfyClient,
  promptId: string,
  state: LookupResult['state'],
  timeoutMs = 30_000,
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await client.lookup(promptId)).state === state) return;
    await new Promise((res) => setTimeout(res, 25));
  }
  throw new Error(`prompt ${promptId} never became ${state}`);
}

export async function readAll(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

/** Submit under a fresh prompt id; `sent` is the id we asked for. */
export const submitWith = (client: ComfyClient, workflow: ComfyWorkflow) => {
  const promptId = randomUUID();
  return client
    .submitPrompt({ promptId, workflow, clientId: CLIENT_ID })
    .then((s) => ({ ...s, sent: promptId }));
};

export function comfyClientContract(subject: () => ComfyClientSubject) {
  const submit = (workflow: ComfyWorkflow) => submitWith(subject().client, workflow);

  describe('ComfyClient contract', () => {
    it('reads system_stats with a version and devices', async () => {
      const stats = await subject().client.getSystemStats();
      expect(typeof (stats.system as Record<string, unknown>).comfyui_version).toBe('string');
      expect(Array.isArray(stats.devices)).toBe(true);
    });

    it('submits under our prompt id, runs to success, and streams the output from /view', async () => {
      const { client } = subject();
      const s = await submit(emptyToSave(`contract_${TAG}/simple`, nextColor()));
      expect(s.promptId).toBe(s.sent);
      expect(typeof s.number).toBe('number');
      const run = await waitForRun(client, s.promptId);
      expect(run.outcome).toEqual({ kind: 'success' });
      expect(run.startedAt).toBeTypeOf('number');
      expect(run.finishedAt).toBeGreaterThanOrEqual(run.startedAt ?? 0);
      expect(run.outputs).toHaveLength(1);
      const [file] = run.outputs;
      expect(file).toMatchObject({
        nodeId: '2',
        kind: 'images',
        subfolder: `contract_${TAG}`,
        type: 'output',
      });
      expect(file?.filename).toMatch(/^simple_\d{5}_\.png$/);
      const view = await client.view(file as NonNullable<typeof file>);
      expect(view.contentType).toBe('image/png');
      const bytes = await readAll(view.body);
      expect(view.size).toBe(bytes.length);
      expect(bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    });

    it('tells unknown prompts apart: history {} and lookup unknown', async () => {
      const { client } = subject();
      const id = randomUUID();
      expect(await client.getHistory(id)).toBeUndefined();
      expect(await client.lookup(id)).toEqual({ state: 'unknown' });
    });

    it('rejects a workflow with an unknown class type with ComfyRejectedError', async () => {
      const unknown = await submit({ '1': { class_type: 'NoSuchNode', inputs: {} } }).catch(
        (e) => e,
      );
      expect(unknown).toBeInstanceOf(ComfyRejectedError);
      expect(unknown.error).toMatchObject({
        type: 'invalid_prompt',
        message: 'Cannot execute because node NoSuchNode does not exist.',
      });
    });

    it('reports running and pending, cancels pending by dequeue and running by interrupt of that prompt only', async () => {
      const { client } = subject();
      const a = await submit(slow(nextColor()));
      const b = await submit(slow(nextColor()));
      await waitForState(client, a.promptId, 'running');
      const lb = await client.lookup(b.promptId);
      expect(lb).toMatchObject({ state: 'pending', position: 0, number: b.number });
      const queue = await client.getQueue();
      expect(queue.running.map((e) => e.promptId)).toEqual([a.promptId]);
      expect(queue.pending.map((e) => e.promptId)).toContain(b.promptId);
      expect(await client.getQueueRemaining()).toBeGreaterThanOrEqual(2);

      await client.cancel(b.promptId);
      expect((await client.lookup(b.promptId)).state).toBe('unknown');
      expect((await client.lookup(a.promptId)).state).toBe('running'); // B's interrupt did not touch A

      await client.cancel(a.promptId);
      const run = await waitForRun(client, a.promptId);
      expect(run.outcome.kind).toBe('interrupted');
      expect(run.outcome).toMatchObject({ nodeType: 'ImageBlur' });
      expect(await client.getHistory(b.promptId)).toBeUndefined();
    });

    it('uploads with ComfyUI naming: same bytes keep the name, other bytes get " (1)"', async () => {
      const { client } = subject();
      const bytes = Buffer.from(`upload ${TAG} ${randomBytes(4).toString('hex')}`);
      const name = `contract_${TAG}_${randomBytes(3).toString('hex')}.png`;
      const upload = (body: Buffer) =>
        client.uploadImage({ filename: name, body, contentType: 'image/png' });
      expect(await upload(bytes)).toEqual({ name, subfolder: '', type: 'input' });
      expect((await upload(bytes)).name).toBe(name);
      expect((await upload(Buffer.from('not the same'))).name).toBe(
        name.replace(/\.png$/, ' (1).png'),
      );
    });

    it('uploads a streamed body of unknown size into a subfolder and keeps odd names', async () => {
      const { client } = subject();
      const bytes = Buffer.from(`streamed ${TAG} ${randomBytes(4).toString('hex')}`);
      const name = `quote "${TAG}" ${randomBytes(2).toString('hex')}.png`;
      const body = Readable.from([bytes.subarray(0, 7), bytes.subarray(7)]);
      const up = await client.uploadImage({
        filename: name,
        body,
        contentType: 'image/png',
        subfolder: `contract_${TAG}`,
      });
      expect(up).toEqual({ name, subfolder: `contract_${TAG}`, type: 'input' });
    });

    it('lists recent history and forgets a deleted run', async () => {
      const { client } = subject();
      const s = await submit(emptyToSave(`contract_${TAG}/del`, nextColor(), 8));
      await waitForRun(client, s.promptId);
      const recent = await client.listHistory(2);
      expect(recent.length).toBeLessThanOrEqual(2);
      expect(recent.map((r) => r.promptId)).toContain(s.promptId);
      await client.deleteHistory([s.promptId]);
      expect(await client.getHistory(s.promptId)).toBeUndefined();
    });

    it('answers not found for a missing /view file and {} for an unknown node class', async () => {
      const { client } = subject();
      const err = await client
        .view({ filename: `missing_${TAG}.png`, subfolder: '', type: 'output' })
        .catch((e) => e);
      expect(err).toBeInstanceOf(ComfyRequestError);
      expect(err.code).toBe('COMFYUI_NOT_FOUND');
      expect(await client.getObjectInfo('NoSuchNode')).toEqual({});
    });
  });
}
