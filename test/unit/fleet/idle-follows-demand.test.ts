/** The fleet's recent demand, and an idle time that follows it (`idleFollowsDemand`). */
import { describe, expect, it } from 'vitest';
import {
  type CapacitySettings,
  decideCapacity,
  worthKeepingIdle,
} from '../../../shared/fleet/capacity.js';
import {
  applyServerEvents,
  DEMAND_WINDOW_MS,
  type FleetServer,
  recentDemand,
  type ServerEvent,
} from '../../../shared/fleet/server.js';

const T = 1_000_000_000;
const TICK = 10_000;

/**
 * The registry after the controller read `id` every tick from `from` to `to`, with `inFlight(t)` prompts. */
function readings(
  servers: FleetServer[],
  id: string,
  from: number,
  to: number,
  inFlight: (t: number) => number,
): FleetServer[] {
  const events: ServerEvent[] = [{ kind: 'launched', id, at: from }];
  for (let t = from; t <= to; t += TICK) {
    events.push({ kind: 'answered', id, at: t, url: `http://${id}`, inFlight: inFlight(t) });
    // The controller's reading of a lone busy server: the fleet needed it.
    if (inFlight(t) > 0) events.push({ kind: 'needed', id, at: t });
  }
  return applyServerEvents(servers, events, to);
}

describe('recentDemand', () => {
  it('is about the GPUs busy on average over the last window', () => {
    const always = readings([], 'a', T - 3 * DEMAND_WINDOW_MS, T, () => 1);
    expect(recentDemand(always, T)).toBeGreaterThan(0.9);
    expect(recentDemand(always, T)).toBeLessThanOrEqual(1);
    const half = readings(
      [],
      'h',
      T - 3 * DEMAND_WINDOW_MS,
      T,
      (t) => Math.abs((t - T) / TICK) % 2,
    );
    expect(recentDemand(half, T)).toBeGreaterThan(0.4);
    expect(recentDemand(half, T)).toBeLessThan(0.6);
  });

  it('adds up over servers, and counts one lone 20 s prompt as little', () => {
    const two = readings(
      readings([], 'a', T - 3_600_000, T, () => 2),
      'b',
      T - 3_600_000,
      T,
      () => 1,
    );
    expect(recentDemand(two, T)).toBeGreaterThan(1.9);
    const lone = readings([], 'l', T - 120_000, T, (t) =>
      t > T - 60_000 && t <= T - 40_000 ? 1 : 0,
    );
    expect(recentDemand(lone, T)).toBeCloseTo(20_000 / DEMAND_WINDOW_MS, 2);
  });

  it('fades with time since the last contact, and still counts servers that are gone', () => {
    const busy = readings([], 'a', T - 3_600_000, T, () => 1);
    const later = T + DEMAND_WINDOW_MS;
    expect(recentDemand(busy, later)).toBeCloseTo(recentDemand(busy, T) / Math.E, 5);
    const gone = applyServerEvents(busy, [{ kind: 'gone', id: 'a', at: T, reason: 'scale-in' }], T);
    expect(recentDemand(gone, later)).toBeCloseTo(recentDemand(busy, later), 5);
  });

  it('is zero for a fleet that never ran anything', () => {
    expect(recentDemand([], T)).toBe(0);
    expect(
      recentDemand(
        readings([], 'a', T - 600_000, T, () => 0),
        T,
      ),
    ).toBe(0);
  });
});

const s: CapacitySettings = {
  minGpus: 0,
  maxGpus: 3,
  promptsPerGpu: 4,
  idleMs: 600_000,
  bootTimeoutMs: 1_800_000,
  startMs: 90_000,
  promptMs: 20_000,
  drainLeadMs: 10_000,
  idleFollowsDemand: true,
};

describe('worthKeepingIdle', () => {
  it('keeps the last server while prompts are expected at least once per start', () => {
    // 20 s prompts, 90 s starts: one prompt per start is 0.22 GPUs busy.
    expect(worthKeepingIdle(0.25, 1, s)).toBe(true);
    expect(worthKeepingIdle(0.2, 1, s)).toBe(false);
  });
  it('asks more of each further server: the demand beyond what the others run', () => {
    expect(worthKeepingIdle(1.25, 2, s)).toBe(true);
    expect(worthKeepingIdle(1.2, 2, s)).toBe(false);
    expect(worthKeepingIdle(2.3, 3, s)).toBe(true);
  });
  it('always keeps when off, or without start and prompt times', () => {
    expect(worthKeepingIdle(0, 3, { ...s, idleFollowsDemand: false })).toBe(true);
    const { startMs: _, ...untimed } = s;
    expect(worthKeepingIdle(0, 1, untimed)).toBe(true);
  });
});

describe('decideCapacity with an idle time that follows demand', () => {
  /** A server that ran `busyMs` of prompts and has been empty for `emptyMs`. */
  const ranFor = (id: string, busyMs: number, emptyMs: number, readyAgo = 3_600_000) =>
    readings([], id, T - readyAgo, T, (t) =>
      t > T - emptyMs - busyMs && t <= T - emptyMs ? 1 : 0,
    );

  it('stops a server that ran one lone prompt as soon as it is empty', () => {
    const fleet = ranFor('a', 20_000, TICK);
    const d = decideCapacity(fleet, { queued: 0, atComfy: 0 }, s, T);
    expect(d.stop).toEqual([{ id: 'a', reason: 'idle' }]);
    expect(d.why.join('\n')).toMatch(/recent demand \(0\.03 GPUs busy\)/);
    // The same server with the idle time fixed waits its 10 minutes.
    const fixed = decideCapacity(
      fleet,
      { queued: 0, atComfy: 0 },
      { ...s, idleFollowsDemand: false },
      T,
    );
    expect(fixed.stop).toEqual([]);
  });

  it('keeps a server of a busy fleet for the idle time, then stops it', () => {
    const fleet = ranFor('a', 30 * 60_000, TICK);
    const at = (t: number) => decideCapacity(fleet, { queued: 0, atComfy: 0 }, s, t).stop;
    expect(at(T)).toEqual([]);
    // Marked the drain lead before its idle time is up: demand has faded, but not below one prompt per start.
    const due = T - TICK + s.idleMs - 10_000;
    expect(at(due - TICK)).toEqual([]);
    expect(at(due)).toEqual([{ id: 'a', reason: 'idle' }]);
  });

  it('stops a second server that demand does not call for, and keeps the first', () => {
    // About 0.6 GPUs busy over the last window, spread over two servers.
    const one = ranFor('old', 6 * 60_000, TICK);
    const both = readings(one, 'new', T - 1_800_000, T, (t) => (t > T - 60_000 ? 1 : 0));
    const fleet = both.map((x) =>
      x.id === 'new' ? { ...x, lastNeededAt: T - 60_000, inFlight: 0 } : x,
    );
    const d = decideCapacity(fleet, { queued: 0, atComfy: 0 }, s, T);
    expect(d.stop).toEqual([{ id: 'new', reason: 'idle' }]);
  });

  it('never stops a server holding prompts, whatever the demand', () => {
    const fleet = ranFor('a', 20_000, 0).map((x) => ({ ...x, inFlight: 1 }));
    expect(decideCapacity(fleet, { queued: 0, atComfy: 1 }, s, T).stop).toEqual([]);
  });
});
