import { describe, expect, it } from 'vitest';
import { createHandler } from '../../../functions/poller/handler.js';
import { InMemoryPollerLease } from '../../fakes/in-memory-poller-lease.js';
import { harness } from './harness.js';

function setup() {
  const h = harness();
  const published: string[][] = [];
  let pending: string[] = [];
  const metrics = {
    addMetric: (name: string) => {
      pending.push(name);
    },
    publishStoredMetrics: () => {
      published.push(pending);
      pending = [];
    },
  };
  const deps = {
    ...h.deps,
    lease: new InMemoryPollerLease(h.clock),
    sleep: async (ms: number) => {
      h.clock.advance(ms);
    },
    loop: { pollIntervalMs: 500, runMs: 55_000, leaseMs: 15_000, timeoutMarginMs: 10_000 },
    metrics,
  };
  return { ...h, deps, published };
}

describe('poller handler', () => {
  it('polls until the Lambda time left minus the margin, publishing metrics after each poll', async () => {
    const s = setup();
    const t = s.dispatched();
    s.comfy.start(t.taskId);
    const result = await createHandler(s.deps)(
      {},
      { awsRequestId: 'req-1', getRemainingTimeInMillis: () => 12_000 },
    );
    // 12 s left - 10 s margin = 2 s of polling at 500 ms.
    expect(result).toEqual({ polls: 4, stoppedBecause: 'time' });
    expect(s.published).toHaveLength(4);
    expect(s.published[0]).toEqual(expect.arrayContaining(['ActiveTasks', 'PollerLagSeconds']));
    expect(s.deps.lease.holder).toBe('req-1');
  });

  it('publishes nothing when there is nothing to poll', async () => {
    const s = setup();
    const result = await createHandler(s.deps)({});
    expect(result).toEqual({ polls: 1, stoppedBecause: 'idle' });
    expect(s.published).toEqual([]);
  });
});
