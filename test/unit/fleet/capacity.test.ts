/** The controller's capacity decision: pure, over servers, backlog and a clock value. */
import { describe, expect, it } from 'vitest';
import {
  type CapacitySettings,
  decideCapacity,
  gpusWanted,
  neededServers,
} from '../../../shared/fleet/capacity.js';
import { applyServerEvents, type FleetServer } from '../../../shared/fleet/server.js';

const s: CapacitySettings = {
  minGpus: 0,
  maxGpus: 3,
  promptsPerGpu: 4,
  idleMs: 60_000,
  bootTimeoutMs: 900_000,
};
const T = 1_000_000_000;
const ready = (id: string, o: Partial<FleetServer> = {}): FleetServer => ({
  id,
  state: 'ready',
  url: `http://${id}`,
  launchedAt: T - 600_000,
  readyAt: T - 500_000,
  lastBusyAt: T - 1_000,
  lastNeededAt: T - 1_000,
  inFlight: 0,
  ...o,
});

describe('gpusWanted', () => {
  it('wants none for no work at min 0, and one as soon as one task waits', () => {
    expect(gpusWanted({ queued: 0, atComfy: 0 }, s)).toBe(0);
    expect(gpusWanted({ queued: 1, atComfy: 0 }, s)).toBe(1);
  });
  it('wants one GPU per promptsPerGpu prompts, up to max', () => {
    expect(gpusWanted({ queued: 5, atComfy: 3 }, s)).toBe(2);
    expect(gpusWanted({ queued: 9, atComfy: 0 }, s)).toBe(3);
    expect(gpusWanted({ queued: 500, atComfy: 12 }, s)).toBe(3);
  });
  it('keeps min GPUs even with no work', () => {
    expect(gpusWanted({ queued: 0, atComfy: 0 }, { ...s, minGpus: 1 })).toBe(1);
  });
});

describe('decideCapacity', () => {
  it('starts servers at once when work arrives on an empty fleet', () => {
    const d = decideCapacity([], { queued: 100, atComfy: 0 }, s, T);
    expect(d).toMatchObject({ desired: 3, launch: 3, stop: [], live: 3 });
  });

  it('counts booting servers as capacity on its way', () => {
    const booting: FleetServer = { id: 'b', state: 'booting', launchedAt: T - 10_000, inFlight: 0 };
    const d = decideCapacity([booting], { queued: 2, atComfy: 0 }, s, T);
    expect(d.launch).toBe(0);
    expect(d.stop).toEqual([]);
  });

  it('stops only ready servers idle for idleMs, longest idle first, down to what is wanted', () => {
    const servers = [
      ready('busy', { inFlight: 2 }),
      ready('recent', { lastNeededAt: T - 30_000 }),
      ready('older', { lastNeededAt: T - 120_000 }),
      ready('oldest', { lastNeededAt: T - 300_000 }),
    ];
    const d = decideCapacity(servers, { queued: 0, atComfy: 2 }, s, T);
    expect(d.desired).toBe(1);
    expect(d.stop).toEqual([
      { id: 'oldest', reason: 'idle' },
      { id: 'older', reason: 'idle' },
    ]);
    expect(d.launch).toBe(0);
  });

  it('never names a busy server, even when none is wanted', () => {
    const d = decideCapacity(
      [ready('a', { inFlight: 1, lastNeededAt: T - 3_600_000 })],
      { queued: 0, atComfy: 0 },
      s,
      T,
    );
    expect(d.stop).toEqual([]);
  });

  it('keeps minGpus servers even when idle', () => {
    const d = decideCapacity(
      [ready('a', { lastNeededAt: T - 3_600_000 }), ready('b', { lastNeededAt: T - 3_600_000 })],
      { queued: 0, atComfy: 0 },
      { ...s, minGpus: 1 },
      T,
    );
    expect(d.stop).toHaveLength(1);
  });

  it('replaces a server that never finished booting', () => {
    const stuck: FleetServer = {
      id: 'x',
      state: 'booting',
      launchedAt: T - 1_000_000,
      inFlight: 0,
    };
    const d = decideCapacity([stuck], { queued: 3, atComfy: 0 }, s, T);
    expect(d.stop).toEqual([{ id: 'x', reason: 'boot-timeout' }]);
    expect(d.launch).toBe(1);
  });

  it('does not count draining or gone servers as capacity', () => {
    const d = decideCapacity(
      [ready('d', { state: 'draining' }), ready('g', { state: 'gone' })],
      { queued: 1, atComfy: 0 },
      s,
      T,
    );
    expect(d.launch).toBe(1);
  });
});

describe('decideCapacity with start and run times', () => {
  const timed = { ...s, startMs: 90_000, promptMs: 20_000 };
  it('adds no server for a backlog the running ones clear before a new one would be up', () => {
    const d = decideCapacity([ready('a', { inFlight: 2 })], { queued: 4, atComfy: 2 }, timed, T);
    expect(d.desired).toBe(2);
    expect(d.launch).toBe(0);
  });
  it('adds servers for a backlog that outlasts a start', () => {
    const d = decideCapacity([ready('a', { inFlight: 2 })], { queued: 40, atComfy: 2 }, timed, T);
    expect(d.launch).toBe(2);
  });
  it('still starts the first server at once on an empty fleet', () => {
    expect(decideCapacity([], { queued: 1, atComfy: 0 }, timed, T).launch).toBe(1);
  });
});

describe('decideCapacity with servers that stopped answering', () => {
  const timed = { ...s, unresponsiveMs: 300_000 };
  it('replaces a ready or draining server not seen for unresponsiveMs, even one holding prompts', () => {
    const d = decideCapacity(
      [
        ready('hung', { inFlight: 2, lastSeenAt: T - 301_000 }),
        ready('gone-quiet', {
          state: 'draining',
          drainingSince: T - 400_000,
          lastSeenAt: T - 400_000,
        }),
        ready('fine', { inFlight: 2, lastSeenAt: T - 5_000 }),
      ],
      { queued: 0, atComfy: 4 },
      timed,
      T,
      ['gone-quiet'],
    );
    expect(d.stop).toEqual([
      { id: 'hung', reason: 'unresponsive' },
      { id: 'gone-quiet', reason: 'unresponsive' },
    ]);
    // The hung one no longer counts: a new server is started for its share of the work.
    expect(d).toMatchObject({ desired: 1, live: 1, launch: 0, revive: [] });
    const more = decideCapacity(
      [ready('hung', { inFlight: 2, lastSeenAt: T - 301_000 })],
      { queued: 0, atComfy: 2 },
      timed,
      T,
    );
    expect(more).toMatchObject({ launch: 1, live: 1 });
  });

  it('leaves every server alone without unresponsiveMs, and one seen within it', () => {
    const servers = [ready('a', { inFlight: 1, lastSeenAt: T - 3_600_000 })];
    expect(decideCapacity(servers, { queued: 0, atComfy: 1 }, s, T).stop).toEqual([]);
    const seen = [ready('a', { inFlight: 1, lastSeenAt: T - 299_000 })];
    expect(decideCapacity(seen, { queued: 0, atComfy: 1 }, timed, T).stop).toEqual([]);
  });
});

describe('decideCapacity when the work is gone before servers are up', () => {
  it('stops servers still booting first, newest first, and keeps a busy one', () => {
    const older: FleetServer = { id: 'b1', state: 'booting', launchedAt: T - 60_000, inFlight: 0 };
    const newer: FleetServer = { id: 'b2', state: 'booting', launchedAt: T - 10_000, inFlight: 0 };
    const d = decideCapacity(
      [ready('busy', { inFlight: 1 }), older, newer],
      { queued: 0, atComfy: 1 },
      s,
      T,
    );
    expect(d.stop).toEqual([
      { id: 'b2', reason: 'unneeded' },
      { id: 'b1', reason: 'unneeded' },
    ]);
    expect(d.live).toBe(1);
  });
});

describe('neededServers', () => {
  const aged = (id: string, readyAgo: number, o: Partial<FleetServer> = {}) =>
    ready(id, { readyAt: T - readyAgo, ...o });

  it('with k servers busy, names the k oldest ready ones, whichever hold the prompts', () => {
    const servers = [
      aged('new', 10_000, { inFlight: 1 }),
      aged('old', 90_000),
      aged('mid', 50_000),
    ];
    expect(neededServers(servers, T)).toEqual([{ kind: 'needed', id: 'old', at: T }]);
    const two = neededServers(
      servers.map((x) => (x.id === 'mid' ? { ...x, inFlight: 2 } : x)),
      T,
    );
    expect(two.map((e) => e.id)).toEqual(['old', 'mid']);
  });

  it('names none when nothing is busy, and leaves draining and booting servers out', () => {
    expect(neededServers([aged('a', 10_000), aged('b', 20_000)], T)).toEqual([]);
    const d = neededServers(
      [
        aged('draining', 90_000, { state: 'draining', inFlight: 1 }),
        { id: 'boot', state: 'booting', launchedAt: T - 5_000, inFlight: 0 },
        aged('a', 10_000, { inFlight: 1 }),
      ],
      T,
    );
    expect(d.map((e) => e.id)).toEqual(['a']);
  });

  it("is recorded as the server's lastNeededAt, never moved back", () => {
    const [x] = applyServerEvents([aged('a', 10_000)], [{ kind: 'needed', id: 'a', at: T }], T);
    expect(x?.lastNeededAt).toBe(T);
    const [y] = applyServerEvents(
      [x as FleetServer],
      [{ kind: 'needed', id: 'a', at: T - 5_000 }],
      T,
    );
    expect(y?.lastNeededAt).toBe(T);
  });
});

describe('decideCapacity over servers the fleet did not need', () => {
  it('stops an empty server not needed for idleMs even though spread work kept it busy now and then', () => {
    const servers = [
      ready('old', { readyAt: T - 900_000, lastNeededAt: T - 1_000, lastBusyAt: T - 1_000 }),
      // Busy 10 s ago, but never while the old one was busy too.
      ready('new', { readyAt: T - 600_000, lastNeededAt: T - 300_000, lastBusyAt: T - 10_000 }),
    ];
    const d = decideCapacity(servers, { queued: 0, atComfy: 0 }, s, T);
    expect(d.stop).toEqual([{ id: 'new', reason: 'idle' }]);
  });

  it('keeps a server needed within idleMs, and never names one holding prompts', () => {
    const servers = [
      ready('a', { lastNeededAt: T - 30_000, lastBusyAt: T - 30_000 }),
      ready('b', { lastNeededAt: T - 600_000, inFlight: 1 }),
    ];
    expect(decideCapacity(servers, { queued: 0, atComfy: 1 }, s, T).stop).toEqual([]);
  });

  it('counts a server never needed as idle since it became ready, however busy it was', () => {
    const { lastNeededAt: _, ...never } = ready('n', {
      readyAt: T - 120_000,
      lastBusyAt: T - 5_000,
    });
    const d = decideCapacity([ready('a'), never], { queued: 0, atComfy: 0 }, s, T);
    expect(d.stop).toEqual([{ id: 'n', reason: 'idle' }]);
  });

  it('counts a server ready for less than idleMs as not idle yet', () => {
    const fresh = ready('f', { readyAt: T - 20_000, lastNeededAt: T - 3_600_000 });
    expect(decideCapacity([fresh], { queued: 0, atComfy: 0 }, s, T).stop).toEqual([]);
  });
});

describe('decideCapacity with servers marked to go', () => {
  const draining = (id: string, o: Partial<FleetServer> = {}) =>
    ready(id, { state: 'draining', drainingSince: T - 5_000, ...o });

  it('takes back a draining server that is still up before starting a new one', () => {
    const d = decideCapacity(
      [ready('a', { inFlight: 2 }), draining('d')],
      { queued: 6, atComfy: 2 },
      s,
      T,
      ['d'],
    );
    expect(d).toMatchObject({ desired: 2, revive: ['d'], launch: 0, live: 2, stop: [] });
  });

  it('starts new servers for what the draining ones cannot cover', () => {
    const d = decideCapacity([draining('d')], { queued: 12, atComfy: 0 }, s, T, ['d']);
    expect(d).toMatchObject({ desired: 3, revive: ['d'], launch: 2, live: 3 });
  });

  it('never takes back a server it was not told it may (the group is terminating it)', () => {
    const d = decideCapacity([draining('d')], { queued: 1, atComfy: 0 }, s, T, []);
    expect(d).toMatchObject({ revive: [], launch: 1 });
  });

  it('takes back none when the work is covered', () => {
    const d = decideCapacity([ready('a'), draining('d')], { queued: 1, atComfy: 0 }, s, T, ['d']);
    expect(d.revive).toEqual([]);
  });

  it('marks an idle server drainLeadMs before its idle time is up', () => {
    const lead = { ...s, drainLeadMs: 10_000 };
    const at = (idleFor: number) =>
      decideCapacity(
        [ready('a', { lastNeededAt: T - idleFor })],
        { queued: 0, atComfy: 0 },
        lead,
        T,
      ).stop;
    expect(at(49_000)).toEqual([]);
    expect(at(50_000)).toEqual([{ id: 'a', reason: 'idle' }]);
  });
});

describe('the revived event', () => {
  it('puts a draining server back to ready, needed now', () => {
    const d = ready('d', { state: 'draining', drainingSince: T - 5_000 });
    const [x] = applyServerEvents([d], [{ kind: 'revived', id: 'd', at: T }], T);
    expect(x).toMatchObject({ state: 'ready', lastNeededAt: T });
    expect(x?.drainingSince).toBeUndefined();
  });
  it('changes nothing for a ready or gone server', () => {
    const g = ready('g', { state: 'gone', goneAt: T - 1 });
    const r = ready('r');
    expect(
      applyServerEvents(
        [g, r],
        [
          { kind: 'revived', id: 'g', at: T },
          { kind: 'revived', id: 'r', at: T },
        ],
        T,
      ),
    ).toEqual([g, r]);
  });
});
