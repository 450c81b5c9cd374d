import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { logger } from '../../../shared/observability.js';
import { type Harness, startHarness } from './harness.js';

const runsOf = (h: Harness, taskId: string, server = 0) =>
  h.standIns[server]?.control.runs().filter((r) => r.promptId === taskId) ?? [];

describe('dispatcher against the emulators and the ComfyUI stand-in', () => {
  let h: Harness | undefined;
  beforeAll(() => logger.setLogLevel('SILENT'));
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('dispatches a queued task: ComfyUI runs it under the task id, in the task folder', async () => {
    // Prepare
    h = await startHarness();
    const task = await h.submit();
    // Act
    const { records, response } = await h.deliver();
    // Assess
    expect(records).toHaveLength(1);
    expect(response.batchItemFailures).toEqual([]);
    const stored = await h.task(task.taskId);
    expect(stored).toMatchObject({ status: 'dispatched', comfyServer: h.comfy[0]?.baseUrl });
    expect(stored.comfyNumber).toEqual(expect.any(Number));
    expect(stored.dispatchedAt).toEqual(expect.any(String));
    await h.drainComfy();
    const [run] = runsOf(h, task.taskId);
    expect(run?.outcome).toBe('success');
    expect(run?.outputs.map((o) => o.subfolder)).toEqual([task.taskId]);
    expect(await h.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect(h.metrics).toEqual(['TasksDispatched']);
  });

  it('runs a task once when its message is delivered twice', async () => {
    h = await startHarness();
    const task = await h.submit();
    await h.queue.send({ taskId: task.taskId });
    // Both copies in one batch, then each copy in a batch of its own.
    const both = await h.receive(h.queueUrl, 2);
    expect(both).toHaveLength(2);
    await h.deliver({ records: both });
    await h.queue.send({ taskId: task.taskId });
    await h.deliver();
    await h.drainComfy();
    expect(runsOf(h, task.taskId)).toHaveLength(1);
    expect((await h.task(task.taskId)).status).toBe('dispatched');
  });

  it('records, without sending it again, a task ComfyUI accepted before a crash lost the update', async () => {
    h = await startHarness({ standIn: { executionMs: 300 } });
    const task = await h.submit();
    // The "crash": the prompt reached ComfyUI, the task was never updated, the message came back.
    await h.comfy[0]?.submitPrompt({
      promptId: task.taskId,
      workflow: task.workflow,
      clientId: 'crashed-attempt',
    });
    const { response } = await h.deliver();
    expect(response.batchItemFailures).toEqual([]);
    expect(await h.task(task.taskId)).toMatchObject({
      status: 'dispatched',
      comfyServer: h.comfy[0]?.baseUrl,
    });
    await h.drainComfy();
    expect(runsOf(h, task.taskId)).toHaveLength(1);
  });

  it('records a task ComfyUI already finished before the crash, found in its history', async () => {
    h = await startHarness();
    const task = await h.submit();
    await h.comfy[0]?.submitPrompt({
      promptId: task.taskId,
      workflow: task.workflow,
      clientId: 'x',
    });
    await h.drainComfy();
    await h.deliver();
    expect((await h.task(task.taskId)).status).toBe('dispatched');
    expect(runsOf(h, task.taskId)).toHaveLength(1);
  });

  it('fails a workflow ComfyUI rejects, at once, with its node errors, and acknowledges it', async () => {
    h = await startHarness();
    const task = await h.submit({
      workflow: {
        '1': { class_type: 'EmptyLatentImage', inputs: { width: 64, height: 64, batch_size: 1 } },
        '2': { class_type: 'VAEDecode', inputs: { samples: ['1', 0] } },
        '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'x' } },
      },
    });
    const { response } = await h.deliver();
    expect(response.batchItemFailures).toEqual([]);
    const stored = await h.task(task.taskId);
    expect(stored.status).toBe('failed');
    expect(stored.error).toMatchObject({
      code: 'COMFYUI_REJECTED',
      nodeId: '2',
      nodeType: 'VAEDecode',
    });
    expect(stored.error?.details).toMatchObject({
      nodeErrors: [
        { nodeId: '2', errors: [expect.objectContaining({ type: 'required_input_missing' })] },
      ],
    });
    expect(await h.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect(h.metrics.sort()).toEqual(['TasksFailed', 'TasksRejected']);
  });

  it('defers a task while ComfyUI is full: a delayed fresh message, no failure, no receive counted', async () => {
    h = await startHarness({ env: { MAX_IN_FLIGHT: '1' }, standIn: { executionMs: 5000 } });
    const first = await h.submit();
    await h.deliver();
    const second = await h.submit();
    const { records, response } = await h.deliver();
    expect(records[0]?.attributes.ApproximateReceiveCount).toBe('1');
    expect(response.batchItemFailures).toEqual([]);
    expect((await h.task(second.taskId)).status).toBe('queued');
    // The original is gone; a new message waits out its delay.
    expect(await h.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 1 });
    expect(h.metrics).toEqual(['TasksDispatched', 'DispatchDeferred']);
    // Once ComfyUI has room, the deferred message dispatches it, as a first receive.
    await h.comfy[0]?.cancel(first.taskId);
    await h.drainComfy();
    const again = await h.deliver({ waitSeconds: 5 });
    expect(JSON.parse(again.records[0]?.body ?? '{}')).toEqual({
      taskId: second.taskId,
      deferrals: 1,
    });
    expect(again.records[0]?.attributes.ApproximateReceiveCount).toBe('1');
    expect((await h.task(second.taskId)).status).toBe('dispatched');
  });

  it('waits in the invocation for a slot to free instead of deferring, when allowed to', async () => {
    h = await startHarness({
      env: { MAX_IN_FLIGHT: '1', DISPATCH_HOLD_MS: '10000', DISPATCH_HOLD_POLL_MS: '50' },
      standIn: { executionMs: 300 },
    });
    const a = await h.submit();
    const b = await h.submit();
    const batch = await h.receive(h.queueUrl, 2);
    const more = batch.length < 2 ? await h.receive(h.queueUrl, 2) : [];
    const { response } = await h.deliver({ records: [...batch, ...more] });
    expect(response.batchItemFailures).toEqual([]);
    expect((await h.task(a.taskId)).status).toBe('dispatched');
    expect((await h.task(b.taskId)).status).toBe('dispatched');
    expect(h.metrics).not.toContain('DispatchDeferred');
    expect(await h.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('picks the least-loaded server of a pool and records which one has the task', async () => {
    h = await startHarness({ servers: 2, standIn: { executionMs: 2000 } });
    const a = await h.submit();
    await h.deliver();
    const b = await h.submit();
    await h.deliver();
    const servers = [(await h.task(a.taskId)).comfyServer, (await h.task(b.taskId)).comfyServer];
    expect(new Set(servers)).toEqual(new Set(h.comfy.map((c) => c.baseUrl)));
  });
});
