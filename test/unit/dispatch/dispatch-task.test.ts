import { describe, expect, it } from 'vitest';
import { ComfySlots } from '../../../shared/dispatch/comfy-slots.js';
import { ComfyUnavailableError } from '../../../shared/domain/errors.js';
import type { Task } from '../../../shared/domain/task.js';
import type { TaskRepository } from '../../../shared/ports/task-repository.js';
import { type DispatchSettings, dispatchTask } from '../../../shared/use-cases/dispatch-task.js';
import { FakeComfyClient } from '../../fakes/fake-comfy-client.js';
import { FixedClock } from '../../fakes/fixed-clock.js';
import { InMemoryArtifactStore } from '../../fakes/in-memory-artifact-store.js';
import { InMemoryTaskRepository } from '../../fakes/in-memory-task-repository.js';
import { aTask } from '../../fakes/tasks.js';

/**
 * The in-memory repository, with a hook that plays a concurrent writer just before each update but
 * the dispatch claim (so the race lands between the claim and the record of the dispatch).
 */
class RacingTasks extends InMemoryTaskRepository {
  beforeUpdate?: (current: Task) => Task;
  override async update(...args: Parameters<TaskRepository['update']>) {
    const isClaim = args[2].dispatchClaimUntil !== undefined;
    const current = !isClaim && this.beforeUpdate && this.all().find((t) => t.taskId === args[0]);
    if (current && this.beforeUpdate) this.seed(this.beforeUpdate(current));
    return super.update(...args);
  }
  task(taskId: string) {
    return this.all().find((t) => t.taskId === taskId);
  }
}
const queuedTask = (taskId: string, overrides: Partial<Task> = {}) =>
  aTask({ taskId, ...overrides });

const T1 = '11111111-1111-4111-8111-111111111111';
const UP1 = '5a1e0c1d-0000-4000-8000-0000000000a1';
const UP2 = '5a1e0c1d-0000-4000-8000-0000000000a2';
const GONE = '5a1e0c1d-0000-4000-8000-00000000dead';
const T2 = '22222222-2222-4222-8222-222222222222';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const settings: DispatchSettings = {
  clientId: 'comfy-serverless',
  defer: { baseSeconds: 1, maxSeconds: 16 },
  recheckEvery: 4,
  queueTimeoutSeconds: 3600,
  claimSeconds: 60,
  queuedHeartbeatMs: 600_000,
};

function setup(servers = ['http://a:8188'], maxInFlight = 2) {
  const clock = new FixedClock('2026-01-01T00:00:10.000Z');
  const comfy = servers.map((u) => new FakeComfyClient(u));
  const tasks = new RacingTasks({ clock });
  const artifacts = new InMemoryArtifactStore(clock);
  /** What happens at ComfyUI while a record waits: called on each sleep. */
  const meanwhile: { onSleep?: () => void } = {};
  const sleep = async (ms: number) => {
    clock.advance(ms);
    meanwhile.onSleep?.();
  };
  const slots = new ComfySlots(comfy, {
    maxInFlight,
    queueCacheMs: 1000,
    holdPollMs: 250,
    clock,
    sleep,
  });
  const deps = { tasks, artifacts, slots, clock, settings, random: () => 0.5 };
  const run = (taskId: string, deferrals?: number, receiveCount = 1, holdUntil?: number) =>
    dispatchTask(deps, deferrals === undefined ? { taskId } : { taskId, deferrals }, {
      receiveCount,
      log: silent,
      ...(holdUntil === undefined ? {} : { holdUntil }),
    });
  const server = (i: number) => {
    const s = comfy[i];
    if (!s) throw new Error(`no server ${i}`);
    return s;
  };
  return { clock, comfy, server, tasks, artifacts, slots, deps, run, meanwhile };
}

describe('dispatchTask', () => {
  it('submits a queued task with its id as prompt_id and records it dispatched', async () => {
    // Prepare
    const { comfy, tasks, run } = setup();
    tasks.seed(queuedTask(T1));
    // Act
    const out = await run(T1);
    // Assess
    expect(out).toEqual({
      kind: 'dispatched',
      server: 'http://a:8188',
      number: 0,
      how: 'submitted',
    });
    const [sent] = comfy[0]?.submitted ?? [];
    expect(sent?.promptId).toBe(T1);
    expect(sent?.clientId).toBe('comfy-serverless');
    expect(sent?.workflow['2']?.inputs.filename_prefix).toBe(`${T1}/test`);
    const task = tasks.task(T1);
    expect(task).toMatchObject({
      status: 'dispatched',
      comfyServer: 'http://a:8188',
      comfyNumber: 0,
    });
    expect(task?.dispatchedAt).toBe('2026-01-01T00:00:10.000Z');
  });

  it.each([
    ['unknown', undefined],
    ['cancelled', queuedTask(T1, { status: 'cancelled' })],
    ['succeeded', queuedTask(T1, { status: 'succeeded' })],
    ['dispatched', queuedTask(T1, { status: 'dispatched', comfyServer: 'http://a:8188' })],
  ])('acknowledges and drops the message of a %s task', async (_name, task) => {
    const { comfy, tasks, run } = setup();
    if (task) tasks.seed(task);
    const out = await run(T1);
    expect(out.kind).toBe('dropped');
    expect(comfy[0]?.submitted).toHaveLength(0);
    expect(tasks.calls.update).toBe(0);
  });

  it('records a task ComfyUI already queued (a crash after submitting) without sending it again', async () => {
    const { comfy, tasks, run } = setup();
    tasks.seed(queuedTask(T1));
    await comfy[0]?.submitPrompt({ promptId: T1, workflow: {}, clientId: 'x' });
    const out = await run(T1, undefined, 2);
    expect(out).toMatchObject({ kind: 'dispatched', how: 'found', number: 0 });
    expect(comfy[0]?.submitted).toHaveLength(1);
    expect(tasks.task(T1)?.status).toBe('dispatched');
  });

  it('records a task ComfyUI already finished, found by lookup, without sending it again', async () => {
    const { comfy, tasks, run } = setup(['http://a:8188', 'http://b:8188']);
    tasks.seed(queuedTask(T1, { comfyNumber: 7 }));
    comfy[1]?.finish(T1);
    const out = await run(T1);
    expect(out).toMatchObject({ kind: 'dispatched', server: 'http://b:8188', how: 'found' });
    expect(comfy.every((c) => c.submitted.length === 0)).toBe(true);
    const task = tasks.task(T1);
    expect(task?.comfyServer).toBe('http://b:8188');
    expect(task?.comfyNumber).toBeUndefined();
  });

  it('picks the least-loaded server of the pool', async () => {
    const { comfy, tasks, run } = setup(['http://a:8188', 'http://b:8188', 'http://c:8188'], 3);
    comfy[0]?.busy(2);
    comfy[2]?.busy(1);
    comfy[1]?.busy(1);
    tasks.seed(queuedTask(T1));
    const out = await run(T1);
    expect(out).toMatchObject({ server: 'http://b:8188' });
  });

  it('defers with a growing delay, without reading the task, when every server is full', async () => {
    const { comfy, tasks, run } = setup(['http://a:8188', 'http://b:8188']);
    comfy[0]?.busy(2);
    comfy[1]?.busy(2);
    tasks.seed(queuedTask(T1));
    const first = await run(T1);
    const third = await run(T1, 2);
    expect(first).toEqual({
      kind: 'deferred',
      message: { taskId: T1, deferrals: 1 },
      delaySeconds: 1,
    });
    // 4 s step, equal jitter at random 0.5: 2 + 1 = 3 s.
    expect(third).toEqual({
      kind: 'deferred',
      message: { taskId: T1, deferrals: 3 },
      delaySeconds: 3,
    });
    expect(tasks.calls.get).toBe(0);
    expect(tasks.task(T1)?.status).toBe('queued');
  });

  it('waits in the invocation for a slot to free, reading the queue again, before deferring', async () => {
    const { comfy, server, tasks, run, meanwhile, clock } = setup();
    server(0).busy(2);
    tasks.seed(queuedTask(T1));
    let sleeps = 0;
    meanwhile.onSleep = () => {
      if (++sleeps === 3) server(0).pending.shift();
    };
    const out = await run(T1, undefined, 1, clock.now() + 5000);
    expect(out).toMatchObject({ kind: 'dispatched', how: 'submitted' });
    expect(comfy[0]?.calls.getQueue).toBe(4);
  });

  it('defers once the wait is over and every server is still full', async () => {
    const { server, tasks, run, clock } = setup();
    server(0).busy(2);
    tasks.seed(queuedTask(T1));
    const out = await run(T1, undefined, 1, clock.now() + 1000);
    expect(out).toMatchObject({ kind: 'deferred', message: { deferrals: 1 } });
    // Read at 0, 250, 500, 750 and 1000 ms.
    expect(server(0).calls.getQueue).toBe(5);
    expect(tasks.calls.get).toBe(0);
  });

  it('caps the deferral delay', async () => {
    const { comfy, tasks, run } = setup();
    comfy[0]?.busy(2);
    tasks.seed(queuedTask(T1));
    const out = await run(T1, 20);
    expect(out).toMatchObject({ kind: 'deferred' });
    expect(out.kind === 'deferred' && out.delaySeconds).toBeLessThanOrEqual(16);
  });

  it('reads a long-deferred task now and then, dropping a cancelled one', async () => {
    const { comfy, tasks, run } = setup();
    comfy[0]?.busy(2);
    tasks.seed(queuedTask(T1, { status: 'cancelled' }));
    const out = await run(T1, 3);
    expect(out.kind).toBe('dropped');
  });

  it('moves a waiting task’s queuedAt on at a recheck, so the sweeper of lost messages leaves it alone', async () => {
    const { comfy, tasks, run, clock } = setup();
    comfy[0]?.busy(2);
    const since = clock.iso();
    tasks.seed(queuedTask(T1, { queuedAt: since }));
    clock.advance(599_000);
    expect((await run(T1, 3)).kind).toBe('deferred');
    expect(tasks.task(T1)?.queuedAt).toBe(since);
    clock.advance(1_000);
    expect((await run(T1, 7)).kind).toBe('deferred');
    expect(tasks.task(T1)?.queuedAt).toBe(clock.iso());
  });

  it('fails a task that waited for a free server longer than the queue timeout', async () => {
    const { comfy, tasks, run, clock } = setup();
    comfy[0]?.busy(2);
    tasks.seed(queuedTask(T1));
    clock.advance(3601_000);
    const out = await run(T1, 7);
    expect(out).toEqual({ kind: 'failed', code: 'QUEUE_TIMEOUT' });
    expect(tasks.task(T1)?.error?.code).toBe('QUEUE_TIMEOUT');
  });

  it('throws a retryable error when no server answers', async () => {
    const { comfy, tasks, run } = setup(['http://a:8188', 'http://b:8188']);
    for (const c of comfy) c.faults.getQueue = 'unavailable';
    tasks.seed(queuedTask(T1));
    await expect(run(T1)).rejects.toBeInstanceOf(ComfyUnavailableError);
    expect(tasks.task(T1)?.status).toBe('queued');
  });

  it('uses a healthy server when another one is down', async () => {
    const { comfy, server, tasks, run } = setup(['http://a:8188', 'http://b:8188']);
    server(0).faults.getQueue = 'unavailable';
    tasks.seed(queuedTask(T1));
    const out = await run(T1);
    expect(out).toMatchObject({ kind: 'dispatched', server: 'http://b:8188' });
    expect(comfy[0]?.calls.lookup).toBeUndefined();
  });

  it('fails a rejected workflow at once with ComfyUI\u2019s node errors', async () => {
    const { server, tasks, run } = setup();
    server(0).faults.submitPrompt = 'reject';
    tasks.seed(queuedTask(T1));
    const out = await run(T1);
    expect(out).toEqual({ kind: 'failed', code: 'COMFYUI_REJECTED' });
    const task = tasks.task(T1);
    expect(task?.status).toBe('failed');
    expect(task?.error).toMatchObject({
      code: 'COMFYUI_REJECTED',
      nodeId: '3',
      nodeType: 'KSampler',
    });
    expect(task?.error?.message).toMatch(/Value 0 smaller than min of 1/);
    expect(task?.error?.details).toMatchObject({ nodeErrors: [{ nodeId: '3' }] });
  });

  it('throws when ComfyUI fails the submission, leaving the task queued and the slot free', async () => {
    const { server, tasks, run, slots } = setup(['http://a:8188'], 1);
    server(0).faults.submitPrompt = 'unavailable';
    tasks.seed(queuedTask(T1));
    await expect(run(T1)).rejects.toBeInstanceOf(ComfyUnavailableError);
    expect(tasks.task(T1)?.status).toBe('queued');
    server(0).faults = {};
    // Marked down for the rest of the reading; a fresh ComfySlots sees it again.
    expect(await slots.reserve()).toBe('unavailable');
  });

  it("streams each upload to ComfyUI, into the task's input subfolder, and rewrites the workflow to the name it returned", async () => {
    const { comfy, tasks, artifacts, run } = setup();
    artifacts.seed(`uploads/alice/${UP1}`, 'PNGDATA', 'image/png');
    tasks.seed(
      queuedTask(T1, {
        workflow: {
          '1': { class_type: 'LoadImage', inputs: { image: `upload:${UP1}` } },
          '4': { class_type: 'LoadImage', inputs: { image: `upload:${UP1}` } },
          '2': { class_type: 'SaveImage', inputs: { images: ['1', 0] } },
        },
      }),
    );
    await run(T1);
    expect(comfy[0]?.uploads).toEqual([
      { filename: `${UP1}.png`, bytes: Buffer.from('PNGDATA'), contentType: 'image/png' },
    ]);
    const wf = comfy[0]?.submitted[0]?.workflow;
    expect(wf?.['1']?.inputs.image).toBe(`${T1}/${UP1}.png`);
    expect(wf?.['4']?.inputs.image).toBe(`${T1}/${UP1}.png`);
    expect(wf?.['2']?.inputs.filename_prefix).toBeUndefined();
  });

  it('fails the task with UPLOAD_NOT_FOUND when an upload is missing', async () => {
    const { comfy, tasks, run } = setup();
    tasks.seed(
      queuedTask(T1, {
        workflow: { '1': { class_type: 'LoadImage', inputs: { image: `upload:${GONE}` } } },
      }),
    );
    const out = await run(T1);
    expect(out).toEqual({ kind: 'failed', code: 'UPLOAD_NOT_FOUND' });
    expect(tasks.task(T1)?.error?.message).toContain(GONE);
    expect(comfy[0]?.submitted).toHaveLength(0);
  });

  it('removes the staged inputs of a workflow ComfyUI rejects', async () => {
    const { server, tasks, artifacts, run } = setup();
    artifacts.seed(`uploads/alice/${UP1}`, 'PNGDATA', 'image/png');
    server(0).faults.submitPrompt = 'reject';
    tasks.seed(
      queuedTask(T1, {
        workflow: {
          '1': { class_type: 'LoadImage', inputs: { image: `upload:${UP1}` } },
          '2': { class_type: 'SaveImage', inputs: { images: ['1', 0] } },
        },
      }),
    );
    const out = await run(T1);
    expect(out).toEqual({ kind: 'failed', code: 'COMFYUI_REJECTED' });
    expect(server(0).uploads).toHaveLength(1);
    expect([...server(0).files.keys()].filter((k) => k.includes(T1))).toEqual([]);
  });

  it('removes what was staged when a later upload of the task is missing', async () => {
    const { server, tasks, artifacts, run } = setup();
    artifacts.seed(`uploads/alice/${UP1}`, 'PNGDATA', 'image/png');
    tasks.seed(
      queuedTask(T1, {
        workflow: {
          '1': { class_type: 'LoadImage', inputs: { image: `upload:${UP1}` } },
          '2': { class_type: 'LoadImage', inputs: { image: `upload:${GONE}` } },
        },
      }),
    );
    const out = await run(T1);
    expect(out).toEqual({ kind: 'failed', code: 'UPLOAD_NOT_FOUND' });
    expect(server(0).uploads).toHaveLength(1);
    expect([...server(0).files.keys()].filter((k) => k.includes(T1))).toEqual([]);
  });

  it('keeps the files of a rejected workflow another attempt has moved on', async () => {
    const { server, tasks, artifacts, run } = setup();
    artifacts.seed(`uploads/alice/${UP1}`, 'PNGDATA', 'image/png');
    server(0).faults.submitPrompt = 'reject';
    tasks.seed(
      queuedTask(T1, {
        workflow: { '1': { class_type: 'LoadImage', inputs: { image: `upload:${UP1}` } } },
      }),
    );
    tasks.beforeUpdate = (t) => (t.status === 'queued' ? { ...t, status: 'dispatched' } : t);
    const out = await run(T1);
    expect(out.kind).toBe('dropped');
    expect(server(0).calls.deleteFiles).toBeUndefined();
  });

  it('cancels at ComfyUI right after submitting when a cancel was requested meanwhile', async () => {
    const { comfy, tasks, run } = setup();
    tasks.seed(queuedTask(T1));
    tasks.beforeUpdate = (t) => (t.status === 'queued' ? { ...t, cancelRequested: true } : t);
    const out = await run(T1);
    expect(out).toEqual({ kind: 'cancelled' });
    expect(comfy[0]?.cancelled).toEqual([T1]);
    expect(tasks.task(T1)).toMatchObject({ status: 'cancelled', error: { code: 'CANCELLED' } });
    expect(tasks.task(T1)?.cancelRequested).toBeUndefined();
  });

  it('cancels its run when the task was cancelled while it was being submitted', async () => {
    const { comfy, tasks, run } = setup();
    tasks.seed(queuedTask(T1));
    tasks.beforeUpdate = (t) => (t.status === 'queued' ? { ...t, status: 'cancelled' } : t);
    const out = await run(T1);
    expect(out).toEqual({ kind: 'cancelled' });
    expect(comfy[0]?.cancelled).toEqual([T1]);
  });

  it('cancels a leftover run when a cancelled task\u2019s message comes back', async () => {
    const { comfy, tasks, run } = setup();
    tasks.seed(queuedTask(T1, { status: 'cancelled' }));
    await comfy[0]?.submitPrompt({ promptId: T1, workflow: {}, clientId: 'x' });
    const out = await run(T1, undefined, 2);
    expect(out.kind).toBe('dropped');
    expect(comfy[0]?.cancelled).toEqual([T1]);
  });

  it('cancels the queued run of a cancelled task seen in the queue, even on a first receive', async () => {
    const { comfy, tasks, run } = setup();
    tasks.seed(queuedTask(T1, { status: 'cancelled' }));
    await comfy[0]?.submitPrompt({ promptId: T1, workflow: {}, clientId: 'x' });
    const out = await run(T1);
    expect(out.kind).toBe('dropped');
    expect(comfy[0]?.cancelled).toEqual([T1]);
  });

  it('never puts more than maxInFlight on a server when records run concurrently', async () => {
    const { comfy, tasks, run } = setup(['http://a:8188'], 2);
    const ids = [T1, T2, '33333333-3333-4333-8333-333333333333'];
    for (const id of ids) tasks.seed(queuedTask(id));
    const outs = await Promise.all(ids.map((id) => run(id)));
    expect(outs.filter((o) => o.kind === 'dispatched')).toHaveLength(2);
    expect(outs.filter((o) => o.kind === 'deferred')).toHaveLength(1);
    expect(comfy[0]?.calls.getQueue).toBe(1);
  });

  it('fails the task and cancels the run when ComfyUI ignores the prompt id (before v0.3.45)', async () => {
    const { server, tasks, run } = setup();
    const s = server(0);
    const submit = s.submitPrompt.bind(s);
    s.submitPrompt = async (input) => ({ ...(await submit(input)), promptId: 'minted-by-comfy' });
    tasks.seed(queuedTask(T1));
    const out = await run(T1);
    expect(out).toEqual({ kind: 'failed', code: 'COMFYUI_UNSUPPORTED' });
    expect(s.cancelled).toEqual(['minted-by-comfy']);
  });

  it('cancels its own run when a concurrent copy recorded the task on another server', async () => {
    const { server, tasks, run } = setup(['http://a:8188', 'http://b:8188']);
    tasks.seed(queuedTask(T1));
    tasks.beforeUpdate = (t) =>
      t.status === 'queued' ? { ...t, status: 'dispatched', comfyServer: 'http://b:8188' } : t;
    const out = await run(T1);
    expect(out).toEqual({ kind: 'dropped', reason: 'task is dispatched' });
    expect(server(0).cancelled).toEqual([T1]);
    expect(server(1).cancelled).toEqual([]);
  });

  it('leaves a concurrent copy on the same server alone', async () => {
    const { server, tasks, run } = setup();
    tasks.seed(queuedTask(T1));
    tasks.beforeUpdate = (t) =>
      t.status === 'queued' ? { ...t, status: 'dispatched', comfyServer: 'http://a:8188' } : t;
    const out = await run(T1);
    expect(out.kind).toBe('dropped');
    expect(server(0).cancelled).toEqual([]);
  });

  it('retries when the run of a task cancelled meanwhile cannot be cancelled at ComfyUI', async () => {
    const { server, tasks, run } = setup();
    tasks.seed(queuedTask(T1));
    tasks.beforeUpdate = (t) => (t.status === 'queued' ? { ...t, status: 'cancelled' } : t);
    server(0).faults.cancel = 'unavailable';
    await expect(run(T1)).rejects.toBeInstanceOf(ComfyUnavailableError);
  });

  it('leaves the cancel to the poller when ComfyUI cannot be reached right after dispatch', async () => {
    const { server, tasks, run } = setup();
    tasks.seed(queuedTask(T1));
    tasks.beforeUpdate = (t) => (t.status === 'queued' ? { ...t, cancelRequested: true } : t);
    server(0).faults.cancel = 'unavailable';
    const out = await run(T1);
    expect(out).toMatchObject({ kind: 'dispatched' });
    expect(tasks.task(T1)).toMatchObject({ status: 'dispatched', cancelRequested: true });
  });

  it('submits once when two containers hold copies of one message at the same instant', async () => {
    const { clock, comfy, tasks, deps, server } = setup();
    tasks.seed(queuedTask(T1));
    const container = () => ({
      ...deps,
      slots: new ComfySlots(comfy, { maxInFlight: 2, queueCacheMs: 1000, holdPollMs: 250, clock }),
    });
    const ctx = { receiveCount: 1, log: silent };
    const outs = await Promise.all([
      dispatchTask(container(), { taskId: T1 }, ctx),
      dispatchTask(container(), { taskId: T1 }, ctx),
    ]);
    expect(server(0).submitted.map((p) => p.promptId)).toEqual([T1]);
    expect(outs.map((o) => o.kind).sort()).toEqual(['deferred', 'dispatched']);
    // The loser comes back once the winner's claim would have expired.
    expect(outs.find((o) => o.kind === 'deferred')).toMatchObject({ delaySeconds: 61 });
    expect(tasks.task(T1)).toMatchObject({ status: 'dispatched' });
    expect(tasks.task(T1)?.dispatchClaimUntil).toBeUndefined();
  });

  it('defers, without submitting, a task another dispatcher holds a live claim on', async () => {
    const { clock, server, tasks, run } = setup();
    tasks.seed(
      queuedTask(T1, { dispatchClaimUntil: new Date(clock.now() + 20_000).toISOString() }),
    );
    const out = await run(T1, 3);
    expect(out).toEqual({
      kind: 'deferred',
      message: { taskId: T1, deferrals: 3 },
      delaySeconds: 21,
    });
    expect(server(0).submitted).toEqual([]);
    expect(tasks.task(T1)).toMatchObject({ status: 'queued' });
  });

  it('takes over an expired claim: finds the prompt its dead holder submitted, or submits it', async () => {
    const { clock, server, tasks, run } = setup();
    const expired = new Date(clock.now() - 1).toISOString();
    tasks.seed(
      queuedTask(T1, { dispatchClaimUntil: expired }),
      queuedTask(T2, { dispatchClaimUntil: expired }),
    );
    await server(0).submitPrompt({ promptId: T1, workflow: {}, clientId: 'x' });
    expect(await run(T1)).toMatchObject({ kind: 'dispatched', how: 'found' });
    expect(await run(T2)).toMatchObject({ kind: 'dispatched', how: 'submitted' });
    expect(server(0).submitted.map((p) => p.promptId)).toEqual([T1, T2]);
  });

  it('releases its claim when the submission fails, so the retry need not wait for it', async () => {
    const { clock, comfy, deps, server, tasks, run } = setup();
    tasks.seed(queuedTask(T1));
    server(0).faults.submitPrompt = 'unavailable';
    await expect(run(T1)).rejects.toBeInstanceOf(ComfyUnavailableError);
    expect(tasks.task(T1)).toMatchObject({ status: 'queued' });
    expect(tasks.task(T1)?.dispatchClaimUntil).toBeUndefined();
    server(0).faults = {};
    // The redelivery, in a new invocation (a fresh view of the servers).
    const slots = new ComfySlots(comfy, {
      maxInFlight: 2,
      queueCacheMs: 1000,
      holdPollMs: 250,
      clock,
    });
    const retry = await dispatchTask(
      { ...deps, slots },
      { taskId: T1 },
      { receiveCount: 2, log: silent },
    );
    expect(retry).toMatchObject({ kind: 'dispatched', how: 'submitted' });
    expect(server(0).submitted).toHaveLength(1);
  });

  it('names a staged upload after its id, with the extension of its content type', async () => {
    const { comfy, tasks, artifacts, run } = setup();
    artifacts.seed(`uploads/alice/${UP2}`, 'JPEGDATA', 'image/jpeg');
    tasks.seed(
      queuedTask(T1, {
        workflow: { '1': { class_type: 'LoadImage', inputs: { image: `upload:${UP2}` } } },
      }),
    );
    await run(T1);
    expect(comfy[0]?.uploads[0]?.filename).toBe(`${UP2}.jpg`);
  });
});

describe('dispatchTask, fair use of the GPU', () => {
  const T3 = '33333333-3333-4333-8333-333333333333';
  const fair = (maxInFlight: number, cap: number) => {
    const s = setup(['http://a:8188', 'http://b:8188'], maxInFlight);
    s.deps.settings = { ...settings, maxAtComfyPerOwner: cap };
    return s;
  };

  it("defers an owner's task while they have the most allowed at ComfyUI, and dispatches others'", async () => {
    // Prepare
    const { comfy, tasks, run, clock } = fair(4, 2);
    tasks.seed(queuedTask(T1));
    tasks.seed(queuedTask(T2));
    tasks.seed(queuedTask(T3));
    tasks.seed(queuedTask(UP1, { owner: 'bob' }));
    // Act
    const outs = await Promise.all([run(T1), run(T2), run(T3)]);
    clock.advance(5000);
    const bob = await run(UP1);
    // Assess
    expect(outs.map((o) => o.kind).sort()).toEqual(['deferred', 'dispatched', 'dispatched']);
    expect(bob.kind).toBe('dispatched');
    const submitted = comfy.flatMap((c) => c.submitted);
    expect(submitted).toHaveLength(3);
    expect(new Set(submitted.map((p) => p.extraData?.comfy_serverless_owner)).size).toBe(2);
    expect(JSON.stringify(submitted)).not.toContain('alice');
  });

  it("counts the owner's prompts ComfyUI already holds, read back from /queue", async () => {
    // Prepare
    const { comfy, tasks, run, clock } = fair(4, 1);
    tasks.seed(queuedTask(T1));
    tasks.seed(queuedTask(T2));
    await run(T1);
    clock.advance(5000);
    // Act
    const second = await run(T2);
    comfy.forEach((c) => {
      for (const e of [...c.running, ...c.pending]) c.finish(e.promptId);
    });
    clock.advance(5000);
    const later = await run(T2);
    // Assess
    expect(second.kind).toBe('deferred');
    expect(later.kind).toBe('dispatched');
  });
});
