import { describe, expect, it } from 'vitest';
import { DependencyUnavailableError } from '../../../shared/domain/errors.js';
import { pollTasks, REQUEUE_DELAY_SECONDS } from '../../../shared/use-cases/poll-tasks.js';
import { harness } from './harness.js';

const outcomeOf = (report: Awaited<ReturnType<typeof pollTasks>>, taskId: string) =>
  report.tasks.find((t) => t.taskId === taskId)?.outcome;

/** An input the dispatcher staged for the task (`input/<taskId>/`). */
const stageInput = (h: ReturnType<typeof harness>, taskId: string) =>
  h.comfy.uploadImage({
    filename: 'staged.png',
    body: Buffer.from('PNG'),
    contentType: 'image/png',
    subfolder: taskId,
  });
/** The task's files still at ComfyUI. */
const filesOf = (h: ReturnType<typeof harness>, taskId: string) =>
  [...h.comfy.files.keys()].filter((k) => k.includes(taskId));

describe('pollTasks: tasks waiting or running at ComfyUI', () => {
  it('keeps queuePosition current, writing only when it changed', async () => {
    // Prepare
    const h = harness();
    const other = 'aaaaaaaa-0000-4000-8000-000000000000';
    h.comfy.queuePending(other);
    const t = h.dispatched();
    h.comfy.queuePending(t.taskId);
    // Act
    await pollTasks(h.deps);
    const writes = h.tasks.calls.update;
    const second = await pollTasks(h.deps);
    h.comfy.pending = h.comfy.pending.filter((e) => e.promptId !== other);
    await pollTasks(h.deps);
    // Assess
    expect(writes).toBe(1);
    expect(outcomeOf(second, t.taskId)).toBe('unchanged');
    expect(h.tasks.calls.update).toBe(2);
    expect((await h.tasks.get(t.taskId))?.queuePosition).toBe(0);
  });

  it('marks a running task running with startedAt, once', async () => {
    const h = harness();
    const t = h.dispatched({ queuePosition: 3 });
    h.comfy.start(t.taskId);
    await pollTasks(h.deps);
    const after = await h.tasks.get(t.taskId);
    h.clock.advance(1000);
    await pollTasks(h.deps);
    const again = await h.tasks.get(t.taskId);
    expect(after?.status).toBe('running');
    expect(after?.startedAt).toBe('2026-01-01T00:00:10.000Z');
    expect(after?.queuePosition).toBeUndefined();
    expect(again?.version).toBe(after?.version);
  });

  it('reads /queue once per server and /history only for tasks not in the queue', async () => {
    const h = harness();
    const b = h.addServer('http://comfy-b');
    const t1 = h.dispatched();
    const t2 = h.dispatched();
    const t3 = h.dispatched({ comfyServer: b.baseUrl });
    h.comfy.queuePending(t1.taskId);
    await pollTasks(h.deps);
    expect(h.comfy.calls.getQueue).toBe(1);
    expect(b.calls.getQueue).toBe(1);
    expect(h.comfy.historyReads).toEqual([t2.taskId]);
    expect(b.historyReads).toEqual([t3.taskId]);
  });
});

describe('pollTasks: finished runs', () => {
  it('copies every output of every kind to S3, then succeeds, then deletes the history entry', async () => {
    // Prepare
    const h = harness();
    const t = h.dispatched({ owner: 'alice' });
    const files = [
      { nodeId: '9', kind: 'images', filename: 'img_00001_.png', subfolder: '', type: 'output' },
      { nodeId: '9', kind: 'images', filename: 'img_00002_.png', subfolder: '', type: 'output' },
      { nodeId: '12', kind: 'videos', filename: 'clip.mp4', subfolder: 'vids', type: 'output' },
      { nodeId: '13', kind: 'audio', filename: 'voice.flac', subfolder: '', type: 'output' },
      { nodeId: '14', kind: 'images', filename: 'prev_temp_1.png', subfolder: '', type: 'temp' },
    ];
    h.comfy.addFile(files[0] as never, 'png-1', 'image/png');
    h.comfy.addFile(files[1] as never, 'png-two', 'image/png');
    h.comfy.addFile(files[2] as never, Buffer.alloc(3000, 1), 'video/mp4');
    h.comfy.addFile(files[3] as never, 'flac!', 'application/octet-stream');
    h.comfy.addFile(files[4] as never, 'preview', 'image/png');
    h.comfy.finish(t.taskId, { outputs: files });
    // Act
    const report = await pollTasks(h.deps);
    // Assess
    const done = await h.tasks.get(t.taskId);
    expect(done?.status).toBe('succeeded');
    expect(done?.finishedAt).toBe('2026-01-01T00:00:10.000Z');
    expect(done?.outputs.map((o) => [o.s3Key, o.contentType, o.size])).toEqual([
      [`outputs/alice/${t.taskId}/12/clip.mp4`, 'video/mp4', 3000],
      [`outputs/alice/${t.taskId}/13/voice.flac`, 'audio/flac', 5],
      [`outputs/alice/${t.taskId}/14/prev_temp_1.png`, 'image/png', 7],
      [`outputs/alice/${t.taskId}/9/img_00001_.png`, 'image/png', 5],
      [`outputs/alice/${t.taskId}/9/img_00002_.png`, 'image/png', 7],
    ]);
    expect(h.artifacts.keys()).toHaveLength(5);
    expect(h.artifacts.bytes(`outputs/alice/${t.taskId}/13/voice.flac`)?.toString()).toBe('flac!');
    expect(h.comfy.deletedHistory).toEqual([t.taskId]);
    const r = report.tasks[0];
    expect(r?.outcome).toBe('succeeded');
    expect(r?.runTimeMs).toBe(2000);
    expect(r?.resultLagMs).toBe(7000);
    expect(r?.queueWaitMs).toBe(1000);
    expect(r?.copyTimeMs).toBe(0);
  });

  it('fails a run with a node error with the node id, type and message, and drops its history', async () => {
    const h = harness();
    const t = h.dispatched();
    h.comfy.finish(t.taskId, {
      outcome: {
        kind: 'error',
        nodeId: '3',
        nodeType: 'KSampler',
        exceptionMessage: 'CUDA out of memory\nTip: lower the resolution',
        exceptionType: 'torch.OutOfMemoryError',
      },
    });
    const report = await pollTasks(h.deps);
    const done = await h.tasks.get(t.taskId);
    expect(done?.status).toBe('failed');
    expect(done?.error).toEqual({
      code: 'COMFYUI_EXECUTION_ERROR',
      message: 'CUDA out of memory\nTip: lower the resolution',
      nodeId: '3',
      nodeType: 'KSampler',
      details: { exceptionType: 'torch.OutOfMemoryError' },
    });
    expect(report.tasks[0]?.code).toBe('COMFYUI_EXECUTION_ERROR');
    expect(h.comfy.deletedHistory).toEqual([t.taskId]);
  });

  it('fails a run interrupted at ComfyUI without our cancel with COMFYUI_INTERRUPTED', async () => {
    const h = harness();
    const t = h.dispatched({ status: 'running', startedAt: '2026-01-01T00:00:02.000Z' });
    h.comfy.finish(t.taskId, { outcome: { kind: 'interrupted', nodeId: '3' } });
    await pollTasks(h.deps);
    expect((await h.tasks.get(t.taskId))?.error?.code).toBe('COMFYUI_INTERRUPTED');
  });

  it('keeps the result of a run that succeeded before a cancel reached it', async () => {
    const h = harness();
    const t = h.dispatched({ cancelRequested: true });
    h.comfy.finish(t.taskId);
    await pollTasks(h.deps);
    expect((await h.tasks.get(t.taskId))?.status).toBe('succeeded');
  });

  it('fails with COMFYUI_OUTPUT_MISSING when /view no longer has a reported file', async () => {
    const h = harness();
    const t = h.dispatched();
    h.comfy.finish(t.taskId, {
      outputs: [{ nodeId: '9', kind: 'images', filename: 'gone.png', subfolder: '', type: 'temp' }],
    });
    await pollTasks(h.deps);
    const done = await h.tasks.get(t.taskId);
    expect(done?.status).toBe('failed');
    expect(done?.error).toMatchObject({ code: 'COMFYUI_OUTPUT_MISSING', nodeId: '9' });
  });
});

describe('pollTasks: copies that fail half-way', () => {
  const twoFiles = (h: ReturnType<typeof harness>, taskId: string) => {
    const a = { nodeId: '9', kind: 'images', filename: 'a.png', subfolder: '', type: 'output' };
    const b = { nodeId: '9', kind: 'images', filename: 'b.png', subfolder: '', type: 'output' };
    h.comfy.addFile(a, Buffer.alloc(1000, 7), 'image/png');
    h.comfy.addFile(b, Buffer.alloc(2000, 8), 'image/png');
    h.comfy.finish(taskId, { outputs: [a, b] });
  };

  it('leaves the task as it was when /view breaks mid-stream, and completes on the next poll', async () => {
    const h = harness();
    const t = h.dispatched();
    twoFiles(h, t.taskId);
    h.comfy.breakNextView(500);
    const first = await pollTasks(h.deps);
    const between = await h.tasks.get(t.taskId);
    const second = await pollTasks(h.deps);
    expect(first.tasks[0]?.outcome).toBe('unreachable');
    expect(between?.status).toBe('dispatched');
    expect(between?.outputs).toEqual([]);
    expect(h.comfy.deletedHistory).toEqual([t.taskId]);
    expect(second.tasks[0]?.outcome).toBe('succeeded');
    expect(h.artifacts.keys()).toEqual([
      `outputs/alice/${t.taskId}/9/a.png`,
      `outputs/alice/${t.taskId}/9/b.png`,
    ]);
    expect(h.artifacts.bytes(`outputs/alice/${t.taskId}/9/a.png`)?.length).toBe(1000);
  });

  it('leaves the task as it was when the store fails, and completes on the next poll', async () => {
    const h = harness();
    const t = h.dispatched();
    twoFiles(h, t.taskId);
    h.artifacts.failNextPut(new DependencyUnavailableError('S3 said 500'));
    const first = await pollTasks(h.deps);
    // The next attempt waits a backoff (1 s in these settings).
    expect((await pollTasks(h.deps)).tasks[0]?.outcome).toBe('unchanged');
    h.clock.advance(1000);
    await pollTasks(h.deps);
    expect(first.tasks[0]).toMatchObject({ outcome: 'error', code: 'DEPENDENCY_UNAVAILABLE' });
    expect((await h.tasks.get(t.taskId))?.status).toBe('succeeded');
    expect(h.artifacts.keys()).toHaveLength(2);
  });

  it('does not copy again an output already stored whole when the second one failed', async () => {
    const h = harness();
    const t = h.dispatched();
    twoFiles(h, t.taskId);
    h.comfy.breakNextView(1500, 'b.png');
    const first = await pollTasks(h.deps);
    expect(first.tasks[0]?.outcome).not.toBe('succeeded');
    expect(h.artifacts.keys()).toEqual([`outputs/alice/${t.taskId}/9/a.png`]);
    await pollTasks(h.deps);
    expect((await h.tasks.get(t.taskId))?.status).toBe('succeeded');
    expect(h.artifacts.keys()).toHaveLength(2);
    // a.png is opened again (to learn its size) but not uploaded again.
    expect(h.comfy.viewed).toEqual(['a.png', 'b.png', 'a.png', 'b.png']);
    expect(h.artifacts.bytes(`outputs/alice/${t.taskId}/9/b.png`)?.length).toBe(2000);
  });
});

describe('pollTasks: copies that keep failing', () => {
  /** An S3 error as the SDK raises it (name, $metadata), wrapped as the S3 adapter wraps it. */
  const accessDenied = () =>
    new DependencyUnavailableError('Copying the body into the key failed.', {
      cause: Object.assign(new Error('Access Denied'), {
        name: 'AccessDenied',
        $metadata: { httpStatusCode: 403 },
      }),
    });
  const oneFile = (h: ReturnType<typeof harness>, taskId: string) => {
    const a = { nodeId: '9', kind: 'images', filename: 'a.png', subfolder: '', type: 'output' };
    h.comfy.addFile(a, Buffer.alloc(1000, 7), 'image/png');
    h.comfy.finish(taskId, { outputs: [a] });
  };

  it('fails with OUTPUT_COPY_FAILED after the attempts, naming the output and the S3 code, listing nothing', async () => {
    const h = harness();
    const t = h.dispatched();
    oneFile(h, t.taskId);
    h.artifacts.failNextPut(accessDenied(), 10);
    const outcomes: (string | undefined)[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await pollTasks(h.deps);
      outcomes.push(`${r.tasks[0]?.outcome}:${r.tasks[0]?.code}`);
      h.clock.advance(60_000);
    }
    expect(outcomes).toEqual([
      'error:AccessDenied',
      'error:AccessDenied',
      'failed:OUTPUT_COPY_FAILED',
    ]);
    const done = await h.tasks.get(t.taskId);
    expect(done?.status).toBe('failed');
    expect(done?.outputs).toEqual([]);
    expect(done?.error).toMatchObject({
      code: 'OUTPUT_COPY_FAILED',
      nodeId: '9',
      details: {
        output: { nodeId: '9', filename: 'a.png', s3Key: `outputs/alice/${t.taskId}/9/a.png` },
        s3ErrorCode: 'AccessDenied',
        attempts: 3,
      },
    });
    expect(h.artifacts.keys()).toEqual([]);
    expect(h.comfy.deletedHistory).toEqual([t.taskId]);
    // Its files at ComfyUI go too, the run's own (outside its folder) included.
    expect([...h.comfy.files.keys()]).toEqual([]);
  });

  it('waits a growing backoff between attempts', async () => {
    const h = harness();
    const t = h.dispatched();
    oneFile(h, t.taskId);
    h.artifacts.failNextPut(accessDenied(), 10);
    await pollTasks(h.deps);
    expect((await h.tasks.get(t.taskId))?.copyFailures?.attempts).toBe(1);
    h.clock.advance(999);
    expect((await pollTasks(h.deps)).tasks[0]?.outcome).toBe('unchanged');
    h.clock.advance(1);
    await pollTasks(h.deps);
    expect((await h.tasks.get(t.taskId))?.copyFailures?.attempts).toBe(2);
    h.clock.advance(1999);
    expect((await pollTasks(h.deps)).tasks[0]?.outcome).toBe('unchanged');
  });

  it('fails once the time bound is used up, even with attempts left', async () => {
    const h = harness({ copy: { maxAttempts: 100, maxMs: 5_000, retryBaseMs: 1000 } });
    const t = h.dispatched();
    oneFile(h, t.taskId);
    h.artifacts.failNextPut(accessDenied(), 10);
    await pollTasks(h.deps);
    h.clock.advance(5_000);
    const r = await pollTasks(h.deps);
    expect(r.tasks[0]).toMatchObject({ outcome: 'failed', code: 'OUTPUT_COPY_FAILED' });
  });

  it('succeeds, and forgets the failures, when a later attempt works', async () => {
    const h = harness();
    const t = h.dispatched();
    oneFile(h, t.taskId);
    h.artifacts.failNextPut(accessDenied(), 1);
    await pollTasks(h.deps);
    h.clock.advance(1000);
    await pollTasks(h.deps);
    const done = await h.tasks.get(t.taskId);
    expect(done?.status).toBe('succeeded');
    expect(done?.copyFailures).toBeUndefined();
    expect(done?.outputs).toHaveLength(1);
  });

  describe('when ComfyUI forgets the run between two attempts', () => {
    /** One failed copy attempt, then ComfyUI restarts (history gone, files kept). */
    const failedThenRestarted = async (h: ReturnType<typeof harness>, failures = 1) => {
      const t = h.dispatched({ owner: 'alice' });
      oneFile(h, t.taskId);
      h.artifacts.failNextPut(accessDenied(), failures);
      expect((await pollTasks(h.deps)).tasks[0]?.outcome).toBe('error');
      h.comfy.restart();
      return t;
    };

    it('copies from the recorded output list and succeeds, without running the prompt again', async () => {
      const h = harness();
      const t = await failedThenRestarted(h);
      expect((await h.tasks.get(t.taskId))?.copyFailures?.outputs).toEqual([
        { nodeId: '9', kind: 'images', filename: 'a.png', subfolder: '', type: 'output' },
      ]);
      h.clock.advance(500);
      // Before its backoff: still waiting, not counted missing.
      expect((await pollTasks(h.deps)).tasks[0]?.outcome).toBe('unchanged');
      expect((await h.tasks.get(t.taskId))?.missingPolls).toBe(0);
      h.clock.advance(500);
      const r = await pollTasks(h.deps);
      expect(r.tasks[0]?.outcome).toBe('succeeded');
      const done = await h.tasks.get(t.taskId);
      expect(done?.status).toBe('succeeded');
      expect(done?.requeues).toBe(0);
      expect(done?.copyFailures).toBeUndefined();
      expect(done?.outputs.map((o) => o.s3Key)).toEqual([`outputs/alice/${t.taskId}/9/a.png`]);
      expect(h.artifacts.bytes(`outputs/alice/${t.taskId}/9/a.png`)?.length).toBe(1000);
      expect(h.queue.sent).toEqual([]);
    });

    it('keeps retrying across polls past the lost-task threshold, then fails with the S3 error', async () => {
      const h = harness();
      const t = await failedThenRestarted(h, 10);
      const outcomes: (string | undefined)[] = [];
      for (let i = 0; i < 3; i++) {
        h.clock.advance(60_000);
        const r = await pollTasks(h.deps);
        outcomes.push(`${r.tasks[0]?.outcome}:${r.tasks[0]?.code}`);
      }
      expect(outcomes).toEqual([
        'error:AccessDenied',
        'failed:OUTPUT_COPY_FAILED',
        'undefined:undefined',
      ]);
      const done = await h.tasks.get(t.taskId);
      expect(done?.error).toMatchObject({
        code: 'OUTPUT_COPY_FAILED',
        details: { s3ErrorCode: 'AccessDenied', attempts: 3 },
      });
      expect(h.queue.sent).toEqual([]);
      expect(done?.requeues).toBe(0);
    });

    it('fails with OUTPUT_COPY_FAILED and the S3 error when the files are gone too', async () => {
      const h = harness();
      const t = await failedThenRestarted(h);
      h.comfy.files.clear();
      h.clock.advance(1000);
      const r = await pollTasks(h.deps);
      expect(r.tasks[0]).toMatchObject({ outcome: 'failed', code: 'OUTPUT_COPY_FAILED' });
      const done = await h.tasks.get(t.taskId);
      expect(done?.status).toBe('failed');
      expect(done?.requeues).toBe(0);
      expect(done?.error).toMatchObject({
        code: 'OUTPUT_COPY_FAILED',
        nodeId: '9',
        details: {
          output: { nodeId: '9', filename: 'a.png', s3Key: `outputs/alice/${t.taskId}/9/a.png` },
          s3ErrorCode: 'AccessDenied',
          attempts: 1,
        },
      });
      expect(done?.error?.message).toContain('Copying output "a.png" of node 9 failed');
      expect(
        String((done?.error?.details as { comfyError?: unknown } | undefined)?.comfyError),
      ).toContain('a.png');
      expect(h.queue.sent).toEqual([]);
    });

    it('fails with OUTPUT_COPY_FAILED and the S3 error when the fleet lost its server', async () => {
      const h = harness();
      const t = await failedThenRestarted(h);
      const r = await pollTasks({ ...h.deps, serverGone: async () => true });
      expect(r.tasks[0]).toMatchObject({ outcome: 'failed', code: 'OUTPUT_COPY_FAILED' });
      const done = await h.tasks.get(t.taskId);
      expect(done?.status).toBe('failed');
      expect(done?.error).toMatchObject({
        code: 'OUTPUT_COPY_FAILED',
        details: {
          output: { nodeId: '9', filename: 'a.png' },
          s3ErrorCode: 'AccessDenied',
          attempts: 1,
          comfyError: 'the ComfyUI server is gone',
        },
      });
      expect(h.queue.sent).toEqual([]);
      expect(h.artifacts.keys()).toEqual([]);
    });

    it('still takes the lost-task path when no output list was recorded', async () => {
      const h = harness();
      const t = h.dispatched({
        missingPolls: 1,
        copyFailures: {
          attempts: 1,
          firstAt: '2026-01-01T00:00:05.000Z',
          lastAt: '2026-01-01T00:00:05.000Z',
        },
      });
      const r = await pollTasks(h.deps);
      expect(r.tasks[0]?.outcome).toBe('requeued');
      expect((await h.tasks.get(t.taskId))?.status).toBe('queued');
    });
  });
});

describe('pollTasks: cancellation', () => {
  it('deletes a pending task from the queue, then ends it cancelled once it is gone', async () => {
    const h = harness();
    const t = h.dispatched({ cancelRequested: true });
    h.comfy.queuePending(t.taskId);
    const first = await pollTasks(h.deps);
    const second = await pollTasks(h.deps);
    expect(outcomeOf(first, t.taskId)).toBe('cancel-sent');
    expect(h.comfy.cancelled).toEqual([t.taskId]);
    expect(outcomeOf(second, t.taskId)).toBe('cancelled');
    expect((await h.tasks.get(t.taskId))?.status).toBe('cancelled');
    expect((await h.tasks.get(t.taskId))?.error?.code).toBe('CANCELLED');
  });

  it('interrupts a running task by its prompt id and ends it cancelled when history shows the interrupt', async () => {
    const h = harness();
    const t = h.dispatched({ cancelRequested: true });
    h.comfy.start(t.taskId);
    await pollTasks(h.deps);
    const meanwhile = await h.tasks.get(t.taskId);
    await pollTasks(h.deps);
    const done = await h.tasks.get(t.taskId);
    expect(meanwhile?.status).toBe('running');
    expect(done?.status).toBe('cancelled');
    expect(done?.error?.code).toBe('CANCELLED');
    expect(done?.finishedAt).toBeDefined();
    expect(h.comfy.deletedHistory).toEqual([t.taskId]);
  });
});

describe('pollTasks: ComfyUI forgot the task', () => {
  it('counts one missing poll, then re-queues to SQS on the second', async () => {
    const h = harness();
    const t = h.dispatched({ requeues: 0 });
    const first = await pollTasks(h.deps);
    expect(outcomeOf(first, t.taskId)).toBe('missing');
    expect((await h.tasks.get(t.taskId))?.missingPolls).toBe(1);
    const second = await pollTasks(h.deps);
    const back = await h.tasks.get(t.taskId);
    expect(outcomeOf(second, t.taskId)).toBe('requeued');
    expect(back).toMatchObject({ status: 'queued', requeues: 1, missingPolls: 0 });
    expect(back?.comfyServer).toBeUndefined();
    expect(back?.dispatchedAt).toBeUndefined();
    expect(h.queue.sent).toEqual([
      expect.objectContaining({
        message: { taskId: t.taskId },
        delaySeconds: REQUEUE_DELAY_SECONDS,
      }),
    ]);
  });

  it('sends no message when its view of a lost task is stale', async () => {
    const h = harness();
    const t = h.dispatched({ missingPolls: 1 });
    const stale = await h.tasks.listAtComfy();
    // The dispatcher (re)records the task meanwhile.
    await h.tasks.update(t.taskId, { status: 'dispatched' }, { comfyNumber: 7 });
    const deps = {
      ...h.deps,
      tasks: Object.assign(Object.create(h.tasks), { listAtComfy: async () => stale }),
    };
    const r = await pollTasks(deps);
    expect(outcomeOf(r, t.taskId)).toBe('conflict');
    expect(h.queue.sent).toEqual([]);
    expect((await h.tasks.get(t.taskId))?.status).toBe('dispatched');
  });

  it('resets the missing count when the task shows up again', async () => {
    const h = harness();
    const t = h.dispatched({ missingPolls: 1 });
    h.comfy.queuePending(t.taskId);
    await pollTasks(h.deps);
    expect((await h.tasks.get(t.taskId))?.missingPolls).toBe(0);
  });

  it('fails with COMFYUI_LOST_TASK once MAX_REQUEUES re-queues are used up', async () => {
    const h = harness({ maxRequeues: 2 });
    const t = h.dispatched({ requeues: 2, missingPolls: 1 });
    await stageInput(h, t.taskId);
    await pollTasks(h.deps);
    const done = await h.tasks.get(t.taskId);
    expect(done?.status).toBe('failed');
    expect(done?.error?.code).toBe('COMFYUI_LOST_TASK');
    expect(h.queue.sent).toEqual([]);
    expect(filesOf(h, t.taskId)).toEqual([]);
  });

  it('does not count a task as missing within the grace period after its dispatch', async () => {
    const h = harness({ lostGraceMs: 30_000 });
    const t = h.dispatched();
    const r = await pollTasks(h.deps);
    expect(outcomeOf(r, t.taskId)).toBe('unchanged');
    expect((await h.tasks.get(t.taskId))?.missingPolls).toBe(0);
  });

  it('ends a task that vanished after a cancel request as cancelled, without re-queueing', async () => {
    const h = harness();
    const t = h.dispatched({ cancelRequested: true });
    await stageInput(h, t.taskId);
    await pollTasks(h.deps);
    expect((await h.tasks.get(t.taskId))?.status).toBe('cancelled');
    expect((await h.tasks.get(t.taskId))?.error?.code).toBe('CANCELLED');
    expect(h.queue.sent).toEqual([]);
    expect(filesOf(h, t.taskId)).toEqual([]);
  });
});

describe('pollTasks: timeouts', () => {
  it('interrupts a task running longer than the run timeout and fails it with TIMEOUT', async () => {
    const h = harness({ runTimeoutMs: 5000 });
    const t = h.dispatched({ status: 'running', startedAt: '2026-01-01T00:00:04.000Z' });
    h.comfy.start(t.taskId);
    await stageInput(h, t.taskId);
    await pollTasks(h.deps);
    const done = await h.tasks.get(t.taskId);
    expect(h.comfy.cancelled).toEqual([t.taskId]);
    expect(done?.status).toBe('failed');
    expect(done?.error?.code).toBe('TIMEOUT');
    expect(filesOf(h, t.taskId)).toEqual([]);
  });

  it('removes a task waiting in the queue longer than the queue timeout and fails it with QUEUE_TIMEOUT', async () => {
    const h = harness({ queueTimeoutMs: 5000 });
    const t = h.dispatched({ dispatchedAt: '2026-01-01T00:00:01.000Z' });
    h.comfy.queuePending(t.taskId);
    await stageInput(h, t.taskId);
    await pollTasks(h.deps);
    expect(h.comfy.pending).toEqual([]);
    expect((await h.tasks.get(t.taskId))?.error?.code).toBe('QUEUE_TIMEOUT');
    expect(filesOf(h, t.taskId)).toEqual([]);
  });
});

describe('pollTasks: failures stay contained', () => {
  it('changes nothing for the tasks of a server that does not answer', async () => {
    const h = harness();
    const b = h.addServer('http://comfy-b');
    const down = h.dispatched({ missingPolls: 1 });
    const fine = h.dispatched({ comfyServer: b.baseUrl });
    b.finish(fine.taskId);
    h.comfy.unreachable = true;
    const r = await pollTasks(h.deps);
    expect(outcomeOf(r, down.taskId)).toBe('unreachable');
    expect(await h.tasks.get(down.taskId)).toMatchObject({ status: 'dispatched', missingPolls: 1 });
    expect(outcomeOf(r, fine.taskId)).toBe('succeeded');
    expect(r.servers).toContainEqual({ url: 'http://comfy-a', reachable: false });
  });

  it('fails a task with COMFYUI_UNAVAILABLE once its server has been silent past queue + run timeouts', async () => {
    const h = harness({ queueTimeoutMs: 3000, runTimeoutMs: 4000 });
    const old = h.dispatched({ dispatchedAt: '2026-01-01T00:00:02.000Z' });
    const recent = h.dispatched({ dispatchedAt: '2026-01-01T00:00:04.000Z' });
    h.comfy.unreachable = true;
    const r = await pollTasks(h.deps);
    expect(outcomeOf(r, old.taskId)).toBe('failed');
    expect((await h.tasks.get(old.taskId))?.error?.code).toBe('COMFYUI_UNAVAILABLE');
    // A server that does not answer is not asked to remove files.
    expect(h.comfy.calls.deleteFiles).toBeUndefined();
    expect(outcomeOf(r, recent.taskId)).toBe('unreachable');
    expect((await h.tasks.get(recent.taskId))?.status).toBe('dispatched');
  });

  it('changes nothing for a task whose history read fails, and carries on with the others', async () => {
    const h = harness();
    const a = h.dispatched({ missingPolls: 1 });
    const b = h.dispatched();
    h.comfy.historyDown.add(a.taskId);
    h.comfy.finish(b.taskId);
    const r = await pollTasks(h.deps);
    expect(outcomeOf(r, a.taskId)).toBe('unreachable');
    expect((await h.tasks.get(a.taskId))?.missingPolls).toBe(1);
    expect(outcomeOf(r, b.taskId)).toBe('succeeded');
  });

  it('reports a store failure for one task as an error and still finishes the others', async () => {
    const h = harness();
    const a = h.dispatched();
    const b = h.dispatched();
    h.comfy.finish(a.taskId);
    h.comfy.finish(b.taskId);
    h.tasks.failNext('update', new DependencyUnavailableError('throttled'));
    const r = await pollTasks(h.deps);
    expect(r.tasks.map((t) => t.outcome).sort()).toEqual(['error', 'succeeded']);
    const failed = r.tasks.find((t) => t.outcome === 'error');
    expect(failed?.code).toBe('DEPENDENCY_UNAVAILABLE');
    // The history of the task whose write failed is kept, so the next poll finishes it.
    await pollTasks(h.deps);
    expect((await h.tasks.get(a.taskId))?.status).toBe('succeeded');
    expect((await h.tasks.get(b.taskId))?.status).toBe('succeeded');
  });

  it('loses a conditional write to a concurrent change without harm', async () => {
    const h = harness();
    const t = h.dispatched();
    h.comfy.start(t.taskId);
    // A cancel request lands between our index read and our write.
    const stale = await h.tasks.listAtComfy();
    await h.tasks.update(t.taskId, { status: 'dispatched' }, { cancelRequested: true });
    const deps = {
      ...h.deps,
      tasks: Object.assign(Object.create(h.tasks), { listAtComfy: async () => stale }),
    };
    const r = await pollTasks(deps);
    expect(outcomeOf(r, t.taskId)).toBe('conflict');
    const now = await h.tasks.get(t.taskId);
    expect(now).toMatchObject({ status: 'dispatched', cancelRequested: true });
  });
});

describe('pollTasks: two polls at once', () => {
  it('stores each output once under one key and ends the task once', async () => {
    const h = harness();
    const t = h.dispatched();
    const f = { nodeId: '9', kind: 'images', filename: 'x.png', subfolder: '', type: 'output' };
    h.comfy.addFile(f, 'bytes', 'image/png');
    h.comfy.finish(t.taskId, { outputs: [f] });
    const [a, b] = await Promise.all([pollTasks(h.deps), pollTasks(h.deps)]);
    const outcomes = [a.tasks[0]?.outcome, b.tasks[0]?.outcome].sort();
    expect(outcomes).toEqual(['conflict', 'succeeded']);
    expect(h.artifacts.keys()).toEqual([`outputs/alice/${t.taskId}/9/x.png`]);
    expect((await h.tasks.get(t.taskId))?.status).toBe('succeeded');
  });
});

describe('pollTasks: a GPU fleet lost a server', () => {
  it('counts the tasks of a server the registry says is gone as lost, and re-queues them', async () => {
    const h = harness();
    const t = h.dispatched({ missingPolls: 1 });
    h.comfy.queuePending(t.taskId);
    const gone = new Set([h.comfy.baseUrl]);
    await pollTasks({ ...h.deps, serverGone: async (url) => gone.has(url) });
    const after = await h.tasks.get(t.taskId);
    expect(after?.status).toBe('queued');
    expect(h.queue.sent.map((m) => m.message.taskId)).toEqual([t.taskId]);
    expect(h.comfy.calls.getQueue ?? 0).toBe(0);
  });

  it('leaves the tasks of a server that is still registered as they are', async () => {
    const h = harness();
    const t = h.dispatched();
    h.comfy.queuePending(t.taskId);
    await pollTasks({ ...h.deps, serverGone: async () => false });
    expect((await h.tasks.get(t.taskId))?.status).toBe('dispatched');
  });
});
