import { describe, expect, it } from 'vitest';
import { pollTasks } from '../../../shared/use-cases/poll-tasks.js';
import { harness } from './harness.js';

const file = (filename: string) => ({
  nodeId: '9',
  kind: 'images',
  filename,
  subfolder: '',
  type: 'output',
});

describe('pollTasks: outputs of a run ComfyUI lost', () => {
  it('removes what an earlier run left under the prefix when a re-run succeeds', async () => {
    // Prepare: run 1 was copied in part (its file name), then lost; run 2 wrote new names.
    const h = harness();
    const t = h.dispatched({ owner: 'alice', requeues: 1 });
    const prefix = `outputs/alice/${t.taskId}/`;
    h.artifacts.seed(`${prefix}9/img_00001_.png`, 'run-1');
    h.artifacts.seed(`outputs/alice/other-task/9/img_00001_.png`, 'not ours');
    h.comfy.addFile(file('img_00002_.png'), 'run-2', 'image/png');
    h.comfy.finish(t.taskId, { outputs: [file('img_00002_.png')] });
    // Act
    await pollTasks(h.deps);
    // Assess
    expect((await h.tasks.get(t.taskId))?.status).toBe('succeeded');
    expect(h.artifacts.keys().sort()).toEqual(
      [`outputs/alice/other-task/9/img_00001_.png`, `${prefix}9/img_00002_.png`].sort(),
    );
  });

  it('removes the partial copy of a run when ComfyUI loses it and the task is re-queued', async () => {
    const h = harness();
    const t = h.dispatched({ owner: 'alice', requeues: 0 });
    h.artifacts.seed(`outputs/alice/${t.taskId}/9/img_00001_.png`, 'partial');
    await pollTasks(h.deps);
    await pollTasks(h.deps);
    expect((await h.tasks.get(t.taskId))?.status).toBe('queued');
    expect(h.artifacts.keys()).toEqual([]);
  });

  it('does not list the prefix of a task that ran once', async () => {
    const h = harness();
    let lists = 0;
    const list = h.artifacts.list.bind(h.artifacts);
    h.artifacts.list = (prefix: string) => {
      lists++;
      return list(prefix);
    };
    const t = h.dispatched({ owner: 'alice', requeues: 0 });
    h.comfy.addFile(file('img_00001_.png'), 'png', 'image/png');
    h.comfy.finish(t.taskId, { outputs: [file('img_00001_.png')] });
    await pollTasks(h.deps);
    expect((await h.tasks.get(t.taskId))?.status).toBe('succeeded');
    expect(lists).toBe(0);
  });

  it('removes a copy under way when the task ends cancelled instead', async () => {
    // Prepare: a poll copied part of the outputs, then a cancel ended the run at ComfyUI.
    const h = harness();
    const t = h.dispatched({ owner: 'alice', cancelRequested: true });
    h.artifacts.seed(`outputs/alice/${t.taskId}/9/img_00001_.png`, 'partial');
    h.comfy.queuePending(t.taskId);
    // Act
    await pollTasks(h.deps);
    await pollTasks(h.deps);
    // Assess
    expect((await h.tasks.get(t.taskId))?.status).toBe('cancelled');
    expect(h.artifacts.keys()).toEqual([]);
  });

  it('keeps only what the winner recorded when another poll ended the task during the copy', async () => {
    // Prepare: our poll read the task, then another one failed it while we copied.
    const h = harness();
    const t = h.dispatched({ owner: 'alice' });
    h.comfy.addFile(file('img_00001_.png'), 'png', 'image/png');
    h.comfy.finish(t.taskId, { outputs: [file('img_00001_.png')] });
    const stale = await h.tasks.listAtComfy();
    await h.tasks.update(
      t.taskId,
      { status: 'dispatched' },
      { status: 'failed', error: { code: 'TIMEOUT', message: 'too slow' } },
    );
    const deps = {
      ...h.deps,
      tasks: Object.assign(Object.create(h.tasks), { listAtComfy: async () => stale }),
    };
    // Act
    await pollTasks(deps);
    // Assess
    expect((await h.tasks.get(t.taskId))?.status).toBe('failed');
    expect(h.artifacts.keys()).toEqual([]);
  });
});
