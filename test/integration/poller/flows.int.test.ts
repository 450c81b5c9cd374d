/**
 * The poller's paths end to end: tasks dispatched to the ComfyUI stand-in with the real dispatch
 * use-case, polled with the real adapters on DynamoDB Local and fauxqs.
 */

import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComfyWorkflow } from '../../../shared/domain/task.js';
import { emptyToSave } from '../comfyui/workflows.js';
import { type PollerRig, pollerRig } from './rig.js';

const allKinds = (prefix: string): ComfyWorkflow => ({
  '1': { class_type: 'EmptyImage', inputs: { width: 32, height: 32, batch_size: 2, color: 7 } },
  '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: prefix } },
  '3': { class_type: 'PreviewImage', inputs: { images: ['1', 0] } },
  '4': {
    class_type: 'StandInLargeOutput',
    inputs: {
      size_bytes: 300_000,
      filename_prefix: `${prefix}v`,
      ui_key: 'videos',
      extension: 'mp4',
    },
  },
  '5': {
    class_type: 'StandInLargeOutput',
    inputs: { size_bytes: 4321, filename_prefix: `${prefix}a`, ui_key: 'audio', extension: 'flac' },
  },
  '6': {
    class_type: 'StandInLargeOutput',
    inputs: { size_bytes: 999, filename_prefix: `${prefix}m`, ui_key: '3d', extension: 'glb' },
  },
});

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const terminal = (t: { status: string }) => ['succeeded', 'failed', 'cancelled'].includes(t.status);

describe('poller with the ComfyUI stand-in', () => {
  let rig: PollerRig;
  beforeAll(async () => {
    rig = await pollerRig();
  });
  afterAll(async () => {
    await rig.close();
  });

  it('copies every output of several kinds to S3 with its type and size, then succeeds and drops the history entry', async () => {
    // Prepare
    const task = await rig.submit(allKinds('kinds'));
    // Act
    const done = await rig.pollUntil(task.taskId, terminal);
    // Assess
    expect(done.status).toBe('succeeded');
    expect(done.finishedAt).toBeDefined();
    const record = rig.comfy.control.run(task.taskId);
    // SaveImage x2, PreviewImage x2 (temp), video, audio, 3d.
    expect(record?.outputs).toHaveLength(7);
    expect(done.outputs).toHaveLength(7);
    const byKind = Object.fromEntries(done.outputs.map((o) => [o.filename.split('.').pop(), o]));
    expect(byKind.mp4).toMatchObject({ contentType: 'video/mp4', size: 300_000, nodeId: '4' });
    expect(byKind.flac).toMatchObject({ contentType: 'audio/flac', size: 4321 });
    expect(byKind.glb?.contentType).toBe('model/gltf-binary');
    const pngs = done.outputs.filter((o) => o.contentType === 'image/png');
    expect(pngs.map((o) => o.type).sort()).toEqual(['output', 'output', 'temp', 'temp']);
    for (const o of done.outputs) {
      expect(o.s3Key.startsWith(`outputs/alice/${task.taskId}/${o.nodeId}/`)).toBe(true);
      const obj = await rig.stack.clients.s3.send(
        new GetObjectCommand({ Bucket: rig.stack.names.bucket, Key: o.s3Key }),
      );
      const bytes = await obj.Body?.transformToByteArray();
      const source = record?.outputs.find((f) => f.filename === o.filename);
      expect(obj.ContentType).toBe(o.contentType);
      expect(bytes?.length).toBe(o.size);
      expect(sha256(bytes ?? new Uint8Array())).toBe(source?.sha256);
    }
    expect(await rig.deps.comfyFor(rig.comfy.url).getHistory(task.taskId)).toBeUndefined();
    // Nothing of the task is left on ComfyUI's disk: outputs, temp previews, its output folder.
    for (const f of record?.outputs ?? []) {
      const folder = rig.comfy.control.dirs[f.type as 'output' | 'temp'];
      expect(existsSync(join(folder, f.subfolder, f.filename)), f.filename).toBe(false);
    }
    expect(existsSync(join(rig.comfy.control.dirs.output, task.taskId))).toBe(false);
  });

  it('fails a task whose node raised, with node id, node type and the exception message', async () => {
    const remove = rig.comfy.control.failNode({
      classType: 'SaveImage',
      message: 'disk full',
      exceptionType: 'OSError',
      count: 1,
    });
    try {
      const task = await rig.submit(emptyToSave('err', 1));
      const done = await rig.pollUntil(task.taskId, terminal);
      expect(done.status).toBe('failed');
      expect(done.error).toMatchObject({
        code: 'COMFYUI_EXECUTION_ERROR',
        nodeId: '2',
        nodeType: 'SaveImage',
      });
      expect(done.error?.message).toContain('disk full');
      expect(done.outputs).toEqual([]);
    } finally {
      remove();
    }
  });

  it('cancels a pending task by deleting it from the queue', async () => {
    // A blocker running for 6 s keeps the second task pending even on a slow machine.
    const blockerId = randomUUID();
    rig.comfy.control.setExecutionMsFor(blockerId, 6000);
    const blocker = await rig.submit(emptyToSave('block', 2), { taskId: blockerId });
    const waiting = await rig.submit(emptyToSave('wait', 3));
    await rig.poll();
    expect((await rig.get(waiting.taskId)).queuePosition).toBe(0);
    await rig.cancel(waiting);
    const done = await rig.pollUntil(waiting.taskId, terminal);
    expect(done.status).toBe('cancelled');
    expect(rig.comfy.control.run(waiting.taskId)).toBeUndefined();
    await rig.cancel(blocker);
    expect((await rig.pollUntil(blocker.taskId, terminal)).status).toBe('cancelled');
  });

  it('cancels a running task by interrupting it', async () => {
    const taskId = randomUUID();
    rig.comfy.control.setExecutionMsFor(taskId, 10_000);
    const task = await rig.submit(emptyToSave('run', 4), { taskId });
    const running = await rig.pollUntil(task.taskId, (t) => t.status === 'running');
    expect(running.startedAt).toBeDefined();
    await rig.cancel(running);
    const done = await rig.pollUntil(task.taskId, terminal);
    expect(done.status).toBe('cancelled');
    expect(rig.comfy.control.run(task.taskId)?.outcome).toBe('interrupted');
  });
});

describe('poller timeouts with the ComfyUI stand-in', () => {
  let rig: PollerRig;
  beforeAll(async () => {
    rig = await pollerRig({ RUN_TIMEOUT_SECONDS: '1', QUEUE_TIMEOUT_SECONDS: '1' });
  });
  afterAll(async () => {
    await rig.close();
  });

  it('interrupts a run longer than RUN_TIMEOUT_SECONDS and fails it with TIMEOUT; removes one queued longer than QUEUE_TIMEOUT_SECONDS with QUEUE_TIMEOUT', async () => {
    rig.comfy.control.setExecutionMs(8000);
    const long = await rig.submit(emptyToSave('long', 5));
    const queued = await rig.submit(emptyToSave('queued', 6));
    const [a, b] = await Promise.all([
      rig.pollUntil(long.taskId, terminal),
      rig.pollUntil(queued.taskId, terminal),
    ]);
    expect(a.error?.code).toBe('TIMEOUT');
    expect(b.error?.code).toBe('QUEUE_TIMEOUT');
    await rig.comfy.control.idle();
    expect(rig.comfy.control.run(long.taskId)?.outcome).toBe('interrupted');
    expect(rig.comfy.control.run(queued.taskId)).toBeUndefined();
    const objects = await rig.stack.clients.s3.send(
      new ListObjectsV2Command({ Bucket: rig.stack.names.bucket }),
    );
    expect(objects.Contents ?? []).toEqual([]);
  });
});
