import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { PNG } from 'pngjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHandler as createDeadLetterHandler } from '../../../functions/dead-letter/handler.js';
import { ownerSegment } from '../../../shared/domain/owner.js';
import { logger } from '../../../shared/observability.js';
import { systemClock } from '../../../shared/ports/clock.js';
import { cancelTask } from '../../../shared/use-cases/cancel-task.js';
import { invertUpload } from '../comfyui/workflows.js';
import { type Harness, startHarness } from './harness.js';

const png = (size: number) => {
  const image = new PNG({ width: size, height: size });
  image.data.fill(200);
  return PNG.sync.write(image);
};

describe('dispatcher failure paths against the emulators and the ComfyUI stand-in', () => {
  let h: Harness | undefined;
  beforeAll(() => logger.setLogLevel('SILENT'));
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('retries while ComfyUI answers 5xx, then dispatches once it is back', async () => {
    // Prepare
    h = await startHarness();
    const control = h.standIns[0]?.control;
    const fault = control?.injectFault({ route: '*', kind: 'status', status: 503 });
    const task = await h.submit();
    // Act: the failed record is reported, and comes back at once (test backoff is 0 s).
    const first = await h.deliver();
    if (fault !== undefined) control?.removeFault(fault);
    const second = await h.deliver();
    // Assess
    expect(first.response.batchItemFailures).toEqual([
      { itemIdentifier: first.records[0]?.messageId },
    ]);
    expect(second.records[0]?.messageId).toBe(first.records[0]?.messageId);
    expect(second.records[0]?.attributes.ApproximateReceiveCount).toBe('2');
    expect(second.response.batchItemFailures).toEqual([]);
    expect((await h.task(task.taskId)).status).toBe('dispatched');
    expect(h.metrics).toEqual(['DispatchRetries', 'TasksDispatched']);
  });

  it('retries while ComfyUI is down (connection refused), then dispatches once it is up', async () => {
    h = await startHarness();
    const task = await h.submit();
    const restarting = h.standIns[0]?.control.restart({ downtimeMs: 1500 });
    const down = await h.deliver();
    await restarting;
    const up = await h.deliver();
    expect(down.response.batchItemFailures).toHaveLength(1);
    expect((await h.task(task.taskId)).status).toBe('dispatched');
    expect(up.response.batchItemFailures).toEqual([]);
  });

  it('ends a task ComfyUI never answered for in failed, through the dead-letter queue', async () => {
    h = await startHarness({ maxReceiveCount: 2 });
    h.standIns[0]?.control.injectFault({ route: '*', kind: 'status', status: 500 });
    const task = await h.submit();
    await h.deliver();
    await h.deliver();
    // The third receive finds the message moved to the dead-letter queue by SQS's redrive.
    const third = await h.deliver({ waitSeconds: 1 });
    expect(third.records).toHaveLength(0);
    expect((await h.task(task.taskId)).status).toBe('queued');
    const dead = await h.receive(h.stack.names.dlqUrl, 2);
    expect(dead.map((r) => JSON.parse(r.body).taskId)).toEqual([task.taskId]);
    const metrics: string[] = [];
    const deadLetter = createDeadLetterHandler({
      tasks: h.tasks,
      clock: systemClock,
      metrics: { addMetric: (n) => void metrics.push(n), publishStoredMetrics: () => {} },
    });
    const out = await deadLetter({ Records: dead });
    expect(out.batchItemFailures).toEqual([]);
    const ended = await h.task(task.taskId);
    expect(ended.status).toBe('failed');
    expect(ended.error?.code).toBe('COMFYUI_UNAVAILABLE');
    expect(ended.finishedAt).toEqual(expect.any(String));
    expect(metrics).toEqual(['TasksDeadLettered']);
  });

  it("streams an uploaded input image from S3 to ComfyUI, into the task's input folder, and rewrites the workflow to it", async () => {
    h = await startHarness();
    const uploadId = 'a1b2c3d4-0000-4000-8000-00000000beef';
    const bytes = png(16);
    await h.stack.clients.s3.send(
      new PutObjectCommand({
        Bucket: h.stack.names.bucket,
        Key: `uploads/${ownerSegment('alice')}/${uploadId}`,
        Body: bytes,
        ContentType: 'image/png',
      }),
    );
    const task = await h.submit({
      owner: 'alice',
      workflow: invertUpload(`upload:${uploadId}`, 'inv'),
    });
    const { response } = await h.deliver();
    expect(response.batchItemFailures).toEqual([]);
    expect((await h.task(task.taskId)).status).toBe('dispatched');
    await h.drainComfy();
    const inputDir = h.standIns[0]?.control.dirs.input ?? '';
    expect(readFileSync(join(inputDir, task.taskId, `${uploadId}.png`)).equals(bytes)).toBe(true);
    const run = h.standIns[0]?.control.run(task.taskId);
    // LoadImage found the file under the rewritten name, so the run produced its output.
    expect(run?.outcome).toBe('success');
    expect(run?.outputs).toEqual([
      expect.objectContaining({ nodeId: '3', subfolder: task.taskId }),
    ]);
  });

  it('fails a task whose upload is missing with UPLOAD_NOT_FOUND, without calling ComfyUI', async () => {
    h = await startHarness();
    const task = await h.submit({
      workflow: invertUpload('upload:5a1e0c1d-0000-4000-8000-00000000dead', 'inv'),
    });
    const { response } = await h.deliver();
    expect(response.batchItemFailures).toEqual([]);
    const ended = await h.task(task.taskId);
    expect(ended.status).toBe('failed');
    expect(ended.error?.code).toBe('UPLOAD_NOT_FOUND');
    expect(h.standIns[0]?.control.runs()).toEqual([]);
  });

  it('cancels its run at ComfyUI when the task is cancelled while it is being submitted', async () => {
    let cancelled = false;
    h = await startHarness({
      standIn: { executionMs: 3000 },
      // The caller cancels between ComfyUI accepting the prompt and the dispatcher's write.
      beforeUpdate: async (taskId) => {
        if (cancelled || !h) return;
        cancelled = true;
        await cancelTask({ tasks: h.observed, clock: systemClock }, 'alice', taskId);
      },
    });
    const task = await h.submit({ owner: 'alice' });
    const { response } = await h.deliver();
    expect(response.batchItemFailures).toEqual([]);
    expect((await h.task(task.taskId)).status).toBe('cancelled');
    await h.drainComfy();
    const run = h.standIns[0]?.control.run(task.taskId);
    // Deleted while pending (never ran) or interrupted while running: never ran to success.
    expect(run?.outcome === undefined || run.outcome === 'interrupted').toBe(true);
    expect(h.metrics).toEqual(['TasksCancelled']);
  });
});
