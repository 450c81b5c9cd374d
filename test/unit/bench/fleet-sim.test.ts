/** The bench's fleet simulation keeps the controller's promises on a whole simulated day. */
import { describe, expect, it } from 'vitest';
import { burstyDay, type SimSettings, simulateFleet } from '../../../bench/lib/fleet-sim.js';

const settings: SimSettings = {
  minGpus: 0,
  maxGpus: 3,
  promptsPerGpu: 4,
  idleMs: 60_000,
  bootTimeoutMs: 1_800_000,
  drainGraceMs: 10_000,
  startMs: 90_000,
  promptMs: 20_000,
  firstBootMs: 300_000,
  warmPool: 3,
  maxInFlight: 2,
  tickMs: 10_000,
  registryCacheMs: 5_000,
};

describe('simulateFleet', () => {
  it('runs every task of a bursty day, never stops a busy server, and returns to zero', async () => {
    const trace = burstyDay(3, 1, 20_000);
    const r = await simulateFleet(trace, settings);
    expect(r.finished).toBe(trace.length);
    expect(r.busyStops).toBe(0);
    expect(r.launches).toBe(r.stops);
    expect(r.maxServers).toBeLessThanOrEqual(3);
    expect(r.billedHours).toBeGreaterThan(r.busyHours);
  });

  it('splits billed GPU time into starting, idle and busy (less the one-minute minimum)', async () => {
    const trace = burstyDay(3, 1, 20_000);
    const r = await simulateFleet(trace, settings);
    const accounted = r.bootHours + r.idleHours + r.busyHours;
    expect(r.bootHours).toBeGreaterThan(0);
    expect(r.idleHours).toBeGreaterThan(0);
    expect(accounted).toBeLessThanOrEqual(r.billedHours + 1e-9);
    expect(accounted).toBeGreaterThanOrEqual(r.billedHours - r.launches / 60);
  });

  it('spreads prompts over servers like the real dispatcher, or packs them onto the busiest', async () => {
    const trace = burstyDay(3, 1, 20_000);
    const long = { ...settings, idleMs: 600_000 };
    const spread = await simulateFleet(trace, long);
    const packed = await simulateFleet(trace, { ...long, dispatch: 'busiest' });
    expect(spread.finished).toBe(trace.length);
    expect(packed.finished).toBe(trace.length);
    // Spread work keeps every server a little busy, so fewer reach their idle time.
    expect(spread.idleHours).toBeGreaterThan(packed.idleHours);
  });

  it('bills an always-on server for the whole day', async () => {
    const trace = burstyDay(3, 1, 20_000);
    const r = await simulateFleet(trace, { ...settings, alwaysOn: 1 });
    expect(r.billedHours).toBeGreaterThanOrEqual(24);
    expect(r.stops).toBe(0);
  });

  it('draws the same trace from the same seed', () => {
    expect(burstyDay(9, 2, 1000)).toEqual(burstyDay(9, 2, 1000));
    expect(burstyDay(9, 2, 1000)).not.toEqual(burstyDay(10, 2, 1000));
  });
});
