import { describe, expect, it } from 'vitest';
import { DependencyUnavailableError } from '../../../shared/domain/errors.js';
import { logger } from '../../../shared/observability.js';
import {
  createQueuedSweeper,
  type SweepQueuedSettings,
  sweepQueued,
} from '../../../shared/use-cases/sweep-queued.js';
import { FakeTaskQueue } from '../../fakes/fake-task-queue.js';
import { FixedClock } from '../../fakes/fixed-clock.js';
import { InMemoryTaskRepository } from '../../fakes/in-memory-task-repository.js';
import { aTask } from '../../fakes/tasks.js';

logger.setLogLevel('SILENT');

const MIN = 60_000;
const SETTINGS: SweepQueuedSettings = {
  graceMs: 30 * MIN,
  queueTimeoutMs: 60 * MIN,
  maxResends: 2,
  batch: 100,
};

function setup() {
  const clock = new FixedClock('2026-01-01T01:00:00.000Z');
  const tasks = new InMemoryTaskRepository({ clock });
  const queue = new FakeTaskQueue(clock);
  const deps = { tasks, queue, clock, settings: SETTINGS };
  const ago = (ms: number) => new Date(clock.now() - ms).toISOString();
  const get = async (id: string) => tasks.get(id);
  return { clock, tasks, queue, deps, ago, get };
}

describe('sweepQueued', () => {
  it('costs one index read and nothing else when no queued task is overdue', async () => {
    const { tasks, queue, deps, ago } = setup();
    tasks.seed(
      aTask({ createdAt: ago(5 * MIN), queuedAt: ago(5 * MIN) }),
      aTask({ status: 'succeeded', createdAt: ago(50 * MIN) }),
    );
    const report = await sweepQueued(deps);
    expect(report).toEqual({ candidates: 0, resent: 0, failed: 0, skipped: 0, errors: 0 });
    expect(tasks.calls).toMatchObject({ listQueuedBefore: 1, get: 0, update: 0 });
    expect(queue.sent).toEqual([]);
  });

  it('re-sends the message of a task queued past the grace period, once per grace period', async () => {
    const { clock, tasks, queue, deps, ago, get } = setup();
    const t = aTask({ createdAt: ago(31 * MIN), queuedAt: ago(31 * MIN), enqueuePending: true });
    tasks.seed(t);
    expect((await sweepQueued(deps)).resent).toBe(1);
    expect(queue.sentTaskIds()).toEqual([t.taskId]);
    const after = await get(t.taskId);
    expect(after).toMatchObject({ status: 'queued', resends: 1, queuedAt: clock.iso() });
    expect(after?.enqueuePending).toBeUndefined();
    // Not again until another grace period has passed.
    clock.advance(29 * MIN);
    expect((await sweepQueued(deps)).candidates).toBe(0);
    expect(queue.sent).toHaveLength(1);
  });

  it('leaves alone a task waiting long since its creation whose queuedAt the dispatcher keeps moving on', async () => {
    // Deferred for backpressure or waiting for a GPU to start: the dispatcher rechecks it.
    const { tasks, queue, deps, ago } = setup();
    tasks.seed(aTask({ createdAt: ago(50 * MIN), queuedAt: ago(3 * MIN) }));
    expect((await sweepQueued(deps)).candidates).toBe(0);
    expect(queue.sent).toEqual([]);
  });

  it('fails DISPATCH_LOST once the re-sends are used up', async () => {
    const { tasks, queue, deps, ago, get } = setup();
    const t = aTask({ createdAt: ago(40 * MIN), queuedAt: ago(31 * MIN), resends: 2 });
    tasks.seed(t);
    expect((await sweepQueued(deps)).failed).toBe(1);
    expect(await get(t.taskId)).toMatchObject({
      status: 'failed',
      error: { code: 'DISPATCH_LOST' },
    });
    expect(queue.sent).toEqual([]);
  });

  it('fails QUEUE_TIMEOUT a task queued past the queue timeout since its creation', async () => {
    const { tasks, queue, deps, ago, get } = setup();
    const t = aTask({ createdAt: ago(61 * MIN), queuedAt: ago(31 * MIN) });
    tasks.seed(t);
    expect((await sweepQueued(deps)).failed).toBe(1);
    expect((await get(t.taskId))?.error?.code).toBe('QUEUE_TIMEOUT');
    expect(queue.sent).toEqual([]);
  });

  it('fails ENQUEUE_FAILED when SQS refuses the message for good, and retries a transient failure', async () => {
    const { clock, tasks, queue, ago, get, ...rest } = setup();
    const deps = { ...rest.deps, settings: { ...SETTINGS, queueTimeoutMs: 120 * MIN } };
    const a = aTask({ createdAt: ago(31 * MIN), queuedAt: ago(31 * MIN) });
    tasks.seed(a);
    queue.failNext(new DependencyUnavailableError('SQS throttled'));
    expect((await sweepQueued(deps)).errors).toBe(1);
    expect(await get(a.taskId)).toMatchObject({ status: 'queued', resends: 1 });
    clock.advance(31 * MIN);
    queue.failNext(new Error('AccessDenied'));
    expect((await sweepQueued(deps)).failed).toBe(1);
    expect((await get(a.taskId))?.error?.code).toBe('ENQUEUE_FAILED');
  });

  it('skips a task the index still lists but that has moved on', async () => {
    const { tasks, queue, deps, ago } = setup();
    const t = aTask({ createdAt: ago(31 * MIN), queuedAt: ago(31 * MIN) });
    tasks.seed(t);
    const stale = await tasks.listQueuedBefore(new Date().toISOString(), 10);
    tasks.seed({ ...t, status: 'dispatched' });
    const report = await sweepQueued({
      ...deps,
      tasks: Object.assign(Object.create(tasks), { listQueuedBefore: async () => stale }),
    });
    expect(report).toMatchObject({ candidates: 1, skipped: 1 });
    expect(queue.sent).toEqual([]);
  });

  it('gives a re-queued task a fresh queuedAt (the repository sets it on entering queued)', async () => {
    const { clock, tasks, ago, get } = setup();
    const t = aTask({ status: 'dispatched', createdAt: ago(40 * MIN) });
    tasks.seed(t);
    await tasks.update(t.taskId, { status: 'dispatched' }, { status: 'queued' });
    expect((await get(t.taskId))?.queuedAt).toBe(clock.iso());
  });
});

describe('createQueuedSweeper', () => {
  it('sweeps at most once per interval however often it is called', async () => {
    const { clock, tasks, deps } = setup();
    const sweep = createQueuedSweeper(deps, MIN);
    await sweep();
    await sweep();
    clock.advance(MIN - 1);
    await sweep();
    expect(tasks.calls.listQueuedBefore).toBe(1);
    clock.advance(1);
    await sweep();
    expect(tasks.calls.listQueuedBefore).toBe(2);
  });

  it('never throws: a failed sweep is logged and retried at the next interval', async () => {
    const { tasks, deps } = setup();
    tasks.failNext('listQueuedBefore', new DependencyUnavailableError('throttled'));
    await expect(createQueuedSweeper(deps, MIN)()).resolves.toBeUndefined();
  });
});
