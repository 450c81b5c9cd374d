import { describe, expect, it } from 'vitest';
import type { PollReport } from '../../../shared/poller/report.js';
import { runPoller } from '../../../shared/use-cases/run-poller.js';
import { createQueuedSweeper } from '../../../shared/use-cases/sweep-queued.js';
import { InMemoryPollerLease } from '../../fakes/in-memory-poller-lease.js';
import { aTask } from '../../fakes/tasks.js';
import { harness } from './harness.js';

const SETTINGS = { pollIntervalMs: 500, runMs: 10_000, leaseMs: 15_000 };

function setup() {
  const h = harness();
  const lease = new InMemoryPollerLease(h.clock);
  const sleeps: number[] = [];
  const deps = {
    ...h.deps,
    lease,
    holder: 'inv-1',
    sleep: async (ms: number) => {
      sleeps.push(ms);
      h.clock.advance(ms);
    },
  };
  return { ...h, lease, deps, sleeps };
}

describe('runPoller', () => {
  it('exits after one poll when ComfyUI holds no tasks, and releases the lease', async () => {
    const s = setup();
    const result = await runPoller(s.deps, SETTINGS);
    expect(result).toEqual({ polls: 1, stoppedBecause: 'idle' });
    expect(s.lease.leaseUntil).toBe(0);
    expect(s.lease.lastPollAt).toBe(s.clock.now());
  });

  it('keeps polling every interval while tasks are active, and stops once they are done', async () => {
    const s = setup();
    const t = s.dispatched();
    s.comfy.start(t.taskId);
    const reports: PollReport[] = [];
    let n = 0;
    const result = await runPoller(s.deps, SETTINGS, (r) => {
      reports.push(r);
      if (++n === 3) s.comfy.finish(t.taskId);
    });
    expect(result).toEqual({ polls: 5, stoppedBecause: 'idle' });
    expect(s.sleeps).toEqual([500, 500, 500, 500]);
    expect(reports.map((r) => r.active)).toEqual([1, 1, 1, 1, 0]);
    expect((await s.tasks.get(t.taskId))?.status).toBe('succeeded');
  });

  it('stops starting polls when its run time is used up', async () => {
    const s = setup();
    const t = s.dispatched();
    s.comfy.start(t.taskId);
    const result = await runPoller(s.deps, { ...SETTINGS, runMs: 2000 });
    expect(result).toEqual({ polls: 4, stoppedBecause: 'time' });
  });

  it('keeps polling through the idle grace after the last task', async () => {
    const s = setup();
    const result = await runPoller(s.deps, { ...SETTINGS, idleGraceMs: 1000 });
    expect(result).toEqual({ polls: 3, stoppedBecause: 'idle' });
  });

  it('sweeps queued tasks whose message is gone, as the lease holder, at the sweeper’s pace', async () => {
    const s = setup();
    const t = s.dispatched();
    s.comfy.start(t.taskId);
    const lost = aTask({
      createdAt: '2026-01-01T00:00:00.000Z',
      queuedAt: '2026-01-01T00:00:00.000Z',
    });
    s.tasks.seed(lost);
    const sweepQueued = createQueuedSweeper(
      {
        ...s.deps,
        settings: { graceMs: 1000, queueTimeoutMs: 3_600_000, maxResends: 3, batch: 10 },
      },
      60_000,
    );
    const result = await runPoller({ ...s.deps, sweepQueued }, { ...SETTINGS, runMs: 2000 });
    expect(result.polls).toBe(4);
    // Swept once (after the first poll): the message was sent again.
    expect(s.tasks.calls.listQueuedBefore).toBe(1);
    expect(s.queue.sentTaskIds()).toEqual([lost.taskId]);
    // The holder of the lease only (a minute later, when a sweep is due again).
    s.clock.advance(60_000);
    await s.lease.acquire('inv-0', 15_000);
    await runPoller({ ...s.deps, sweepQueued, holder: 'inv-2' }, SETTINGS);
    expect(s.tasks.calls.listQueuedBefore).toBe(1);
  });

  it('exits without polling while another invocation holds the lease', async () => {
    const s = setup();
    await s.lease.acquire('inv-0', 15_000);
    const result = await runPoller(s.deps, SETTINGS);
    expect(result).toEqual({ polls: 0, stoppedBecause: 'lease-held', heldBy: 'inv-0' });
    expect(s.tasks.calls.listAtComfy).toBe(0);
  });

  it('when kicked, waits out a holder that releases the lease on its way out', async () => {
    const s = setup();
    await s.lease.acquire('leaving', 15_000);
    let tries = 0;
    const sleep = async (ms: number) => {
      s.sleeps.push(ms);
      s.clock.advance(ms);
      if (++tries === 2) await s.lease.release('leaving', s.clock.now());
    };
    const result = await runPoller({ ...s.deps, sleep }, { ...SETTINGS, acquireAttempts: 4 });
    expect(result).toEqual({ polls: 1, stoppedBecause: 'idle' });
    expect(s.sleeps.slice(0, 2)).toEqual([500, 500]);
  });

  it('gives up after its attempts while the holder keeps the lease', async () => {
    const s = setup();
    await s.lease.acquire('busy', 15_000);
    const result = await runPoller(s.deps, { ...SETTINGS, acquireAttempts: 3 });
    expect(result).toEqual({ polls: 0, stoppedBecause: 'lease-held', heldBy: 'busy' });
    expect(s.sleeps).toEqual([500, 500]);
  });

  it('takes over the lease of a crashed holder once it expired', async () => {
    const s = setup();
    await s.lease.acquire('crashed', 15_000);
    s.clock.advance(15_001);
    const result = await runPoller(s.deps, SETTINGS);
    expect(result.stoppedBecause).toBe('idle');
    expect(s.lease.holder).toBe('inv-1');
  });

  it('stops after the current poll when its lease was taken over', async () => {
    const s = setup();
    const t = s.dispatched();
    s.comfy.start(t.taskId);
    const result = await runPoller({ ...s.deps }, { ...SETTINGS, leaseMs: 1000 }, () => {
      // Someone else takes the lease (ours looked expired to them).
      s.lease.holder = 'inv-2';
    });
    // The renewal after the second poll (due after a third of the lease) finds it gone.
    expect(result).toEqual({ polls: 2, stoppedBecause: 'lease-lost' });
    expect(s.lease.holder).toBe('inv-2');
  });

  it('hands the last poll time to the next invocation through the lease', async () => {
    const s = setup();
    await runPoller(s.deps, SETTINGS);
    const first = s.lease.lastPollAt;
    s.clock.advance(60_000);
    const t = s.dispatched({ dispatchedAt: '2026-01-01T00:00:00.000Z' });
    s.comfy.queuePending(t.taskId);
    const stale: number[] = [];
    await runPoller({ ...s.deps, holder: 'inv-2' }, { ...SETTINGS, runMs: 400 }, (r) =>
      stale.push(...r.tasks.map((x) => x.staleMs ?? -1)),
    );
    expect(first).toBe(Date.parse('2026-01-01T00:00:10.000Z'));
    expect(stale).toEqual([60_000]);
  });
});
