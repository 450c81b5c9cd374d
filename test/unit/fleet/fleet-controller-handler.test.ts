/** The fleet controller Lambda handler: wiring around runFleetController. */
import { describe, expect, it } from 'vitest';
import { createHandler } from '../../../functions/fleet-controller/handler.js';
import { FixedClock } from '../../fakes/fixed-clock.js';
import {
  FixedBacklog,
  InMemoryFleetRegistry,
  InMemoryGpuFleet,
} from '../../fakes/in-memory-fleet.js';
import { InMemoryPollerLease } from '../../fakes/in-memory-poller-lease.js';

describe('fleet controller handler', () => {
  it('starts a GPU for waiting work and stops ticking before the Lambda runs out of time', async () => {
    const clock = new FixedClock();
    const fleet = new InMemoryGpuFleet(clock, 60_000);
    const recorded: [string, number][] = [];
    const handler = createHandler({
      metrics: {
        addMetric: (name, _unit, value) => void recorded.push([name, value]),
        publishStoredMetrics: () => {},
      },
      fleet,
      registry: new InMemoryFleetRegistry(clock),
      backlog: new FixedBacklog({ queued: 3, atComfy: 0 }),
      lease: new InMemoryPollerLease(clock),
      probe: async () => undefined,
      clock,
      sleep: async (ms) => {
        clock.advance(ms);
      },
      settings: {
        minGpus: 0,
        maxGpus: 2,
        promptsPerGpu: 4,
        idleMs: 60_000,
        bootTimeoutMs: 600_000,
        drainGraceMs: 10_000,
        tickMs: 10_000,
        runMs: 50_000,
      },
    });
    const result = await handler(
      { 'detail-type': 'Scheduled Event' },
      { awsRequestId: 'req-1', getRemainingTimeInMillis: () => 35_000 },
    );
    expect(fleet.calls).toEqual(['launch 1']);
    expect(result).toEqual({ ticks: 3, leaseHeld: false });
    // One GPU started on the first tick, then none; one wanted throughout, 3 tasks on it.
    const of = (name: string) => recorded.filter(([n]) => n === name).map(([, v]) => v);
    expect(of('GpusStarted')).toEqual([1, 0, 0]);
    expect(of('GpusStopped')).toEqual([0, 0, 0]);
    expect(of('GpusDesired')).toEqual([1, 1, 1]);
    expect(of('GpusLive')).toEqual([1, 1, 1]);
    expect(of('BacklogPerGpu')).toEqual([3, 3, 3]);
  });
});
