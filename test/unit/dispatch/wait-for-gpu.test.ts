/** With a GPU fleet, a task that finds no server up waits for one to start instead of failing. */
import { describe, expect, it } from 'vitest';
import { ComfySlots } from '../../../shared/dispatch/comfy-slots.js';
import { ComfyUnavailableError } from '../../../shared/domain/errors.js';
import type { DispatchMessage } from '../../../shared/ports/task-queue.js';
import { type DispatchSettings, dispatchTask } from '../../../shared/use-cases/dispatch-task.js';
import { toTaskView } from '../../../shared/use-cases/task-view.js';
import { FakeComfyClient } from '../../fakes/fake-comfy-client.js';
import { FixedClock } from '../../fakes/fixed-clock.js';
import { InMemoryArtifactStore } from '../../fakes/in-memory-artifact-store.js';
import { InMemoryTaskRepository } from '../../fakes/in-memory-task-repository.js';
import { aTask } from '../../fakes/tasks.js';

const T1 = '11111111-1111-4111-8111-111111111111';
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const base: DispatchSettings = {
  clientId: 'comfy-serverless',
  defer: { baseSeconds: 1, maxSeconds: 16 },
  recheckEvery: 4,
  queueTimeoutSeconds: 3600,
  claimSeconds: 60,
  queuedHeartbeatMs: 600_000,
};

function setup(settings: DispatchSettings, servers: FakeComfyClient[] = []) {
  const clock = new FixedClock('2026-01-01T00:00:10.000Z');
  const tasks = new InMemoryTaskRepository({ clock });
  const artifacts = new InMemoryArtifactStore(clock);
  tasks.seed(aTask({ taskId: T1 }));
  const run = (message: DispatchMessage) => {
    const slots = new ComfySlots(servers, {
      maxInFlight: 2,
      queueCacheMs: 1000,
      holdPollMs: 250,
      clock,
    });
    return dispatchTask({ tasks, artifacts, slots, clock, settings }, message, {
      receiveCount: 1,
      log: silent,
    });
  };
  return { clock, tasks, artifacts, run };
}

describe('dispatchTask waiting for a GPU', () => {
  const fleet = { ...base, capacityWaitSeconds: 900, capacityPollSeconds: 10 };

  it('without a fleet, no server is a retryable failure (the receive count is spent)', async () => {
    const { run } = setup(base);
    await expect(run({ taskId: T1 })).rejects.toBeInstanceOf(ComfyUnavailableError);
  });

  it('defers as a fresh message, marks the task waiting for a GPU, and shows it in the task view', async () => {
    const { run, tasks, clock, artifacts } = setup(fleet);
    const out = await run({ taskId: T1 });
    expect(out).toEqual({
      kind: 'deferred',
      message: { taskId: T1, deferrals: 1, waitingSince: clock.now() },
      delaySeconds: 10,
      waitingForGpu: true,
    });
    const task = await tasks.get(T1);
    expect(task?.status).toBe('queued');
    expect(task?.waitingForGpuSince).toBe(clock.iso());
    const view = await toTaskView({ artifacts, outputUrlTtlSeconds: 60 }, task as never);
    expect(view).toMatchObject({ status: 'queued', waitingFor: 'gpu', waitingSince: clock.iso() });
  });

  it('keeps waiting without reading the task between rechecks', async () => {
    const { run, tasks, clock } = setup(fleet);
    const since = clock.now();
    clock.advance(60_000);
    let reads = 0;
    const get = tasks.get.bind(tasks);
    tasks.get = async (id) => {
      reads++;
      return get(id);
    };
    const out = await run({ taskId: T1, deferrals: 1, waitingSince: since });
    expect(out).toMatchObject({ kind: 'deferred', message: { waitingSince: since, deferrals: 2 } });
    expect(reads).toBe(0);
  });

  it('stops waiting for a task cancelled meanwhile', async () => {
    const { run, tasks, clock } = setup(fleet);
    await tasks.update(T1, { status: 'queued' }, { status: 'cancelled' });
    const out = await run({ taskId: T1, deferrals: 3, waitingSince: clock.now() });
    expect(out).toMatchObject({ kind: 'dropped' });
  });

  it('fails NO_GPU_CAPACITY once the wait limit has passed', async () => {
    const { run, tasks, clock } = setup(fleet);
    const since = clock.now();
    clock.advance(901_000);
    const out = await run({ taskId: T1, deferrals: 9, waitingSince: since });
    expect(out).toEqual({ kind: 'failed', code: 'NO_GPU_CAPACITY' });
    expect((await tasks.get(T1))?.error).toMatchObject({
      code: 'NO_GPU_CAPACITY',
      details: { waitedSeconds: 901 },
    });
  });

  it('dispatches as soon as a server answers, says how long the task waited, and the task no longer shows the wait', async () => {
    const server = new FakeComfyClient('http://gpu-1:8188');
    const { run, tasks, clock } = setup(fleet, [server]);
    await tasks.update(T1, { status: 'queued' }, { waitingForGpuSince: clock.iso() });
    clock.advance(95_000);
    const out = await run({ taskId: T1, deferrals: 2, waitingSince: clock.now() - 95_000 });
    expect(out).toMatchObject({
      kind: 'dispatched',
      server: 'http://gpu-1:8188',
      gpuWaitMs: 95_000,
    });
    expect((await tasks.get(T1))?.waitingForGpuSince).toBeUndefined();
  });
});
