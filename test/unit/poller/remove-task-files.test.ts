import { describe, expect, it } from 'vitest';
import { pollTasks } from '../../../shared/use-cases/poll-tasks.js';
import { harness } from './harness.js';

describe('pollTasks: nothing of a task left at ComfyUI once it ends', () => {
  it("removes the run's files, its output folder and its staged inputs after the copy to S3", async () => {
    const h = harness();
    const t = h.dispatched({ owner: 'alice' });
    const other = h.dispatched({ owner: 'bob' });
    const files = [
      {
        nodeId: '9',
        kind: 'images',
        filename: 'a_00001_.png',
        subfolder: t.taskId,
        type: 'output',
      },
      { nodeId: '14', kind: 'images', filename: 'prev_temp_1.png', subfolder: '', type: 'temp' },
    ];
    for (const f of files) h.comfy.addFile(f as never, 'png', 'image/png');
    const staged = { filename: 'up.png', subfolder: t.taskId, type: 'input' };
    const othersInput = { filename: 'up.png', subfolder: other.taskId, type: 'input' };
    h.comfy.addFile(staged as never, 'input', 'image/png');
    h.comfy.addFile(othersInput as never, 'input', 'image/png');
    h.comfy.queuePending(other.taskId);
    h.comfy.finish(t.taskId, { outputs: files });

    await pollTasks(h.deps);

    expect((await h.tasks.get(t.taskId))?.status).toBe('succeeded');
    expect(h.artifacts.keys()).toHaveLength(2);
    expect([...h.comfy.files.keys()]).toEqual([`input|${other.taskId}|up.png`]);
  });

  it('removes the files of a failed run too', async () => {
    const h = harness();
    const t = h.dispatched();
    const out = {
      nodeId: '9',
      kind: 'images',
      filename: 'a.png',
      subfolder: t.taskId,
      type: 'output',
    };
    h.comfy.addFile(out as never, 'png', 'image/png');
    h.comfy.finish(t.taskId, {
      outputs: [out],
      outcome: { kind: 'error', nodeId: '3', nodeType: 'KSampler', exceptionMessage: 'boom' },
    });
    await pollTasks(h.deps);
    expect((await h.tasks.get(t.taskId))?.status).toBe('failed');
    expect(h.comfy.files.size).toBe(0);
  });

  it('still succeeds when the server has no cleanup extension, or the delete fails', async () => {
    for (const fault of ['no extension', 'unavailable'] as const) {
      const h = harness();
      const comfy =
        fault === 'no extension'
          ? h.addServer('http://comfy-plain', { fileCleanup: false })
          : h.addServer('http://comfy-flaky');
      if (fault === 'unavailable') comfy.faults.deleteFiles = 'unavailable';
      const t = h.dispatched({ comfyServer: comfy.baseUrl });
      const out = {
        nodeId: '9',
        kind: 'images',
        filename: 'a.png',
        subfolder: t.taskId,
        type: 'output',
      };
      comfy.addFile(out as never, 'png', 'image/png');
      comfy.finish(t.taskId, { outputs: [out] });
      await pollTasks(h.deps);
      expect((await h.tasks.get(t.taskId))?.status, fault).toBe('succeeded');
      expect(comfy.files.size, fault).toBe(1);
      expect(comfy.calls.deleteFiles, fault).toBe(1);
    }
  });
});
