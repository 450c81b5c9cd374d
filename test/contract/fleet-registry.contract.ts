/** The FleetRegistry contract, run against the in-memory registry (unit) and DynamoDB Local (integration). */
import { beforeEach, expect, it } from 'vitest';
import type { FleetRegistry } from '../../shared/ports/fleet-registry.js';
import { FixedClock } from '../fakes/fixed-clock.js';

export function fleetRegistryContract(make: (clock: FixedClock) => Promise<FleetRegistry>): void {
  let clock: FixedClock;
  let registry: FleetRegistry;
  beforeEach(async () => {
    clock = new FixedClock();
    registry = await make(clock);
  });

  it('starts empty and records a launched server as booting', async () => {
    expect(await registry.list()).toEqual([]);
    await registry.apply([{ kind: 'launched', id: 'i-1', at: clock.now() }]);
    const [s] = await registry.list();
    expect(s).toMatchObject({ id: 'i-1', state: 'booting', inFlight: 0 });
  });

  it('makes a server ready when ComfyUI answers, keeping its address and load', async () => {
    await registry.apply([{ kind: 'launched', id: 'i-1', at: clock.now() }]);
    clock.advance(60_000);
    const after = await registry.apply([
      { kind: 'answered', id: 'i-1', at: clock.now(), url: 'http://10.0.0.5:8188', inFlight: 2 },
    ]);
    expect(after).toEqual(await registry.list());
    expect(after[0]).toMatchObject({
      state: 'ready',
      url: 'http://10.0.0.5:8188',
      inFlight: 2,
      readyAt: clock.now(),
      lastBusyAt: clock.now(),
    });
  });

  it('never brings a gone server back', async () => {
    await registry.apply([
      { kind: 'launched', id: 'i-1', at: clock.now() },
      { kind: 'gone', id: 'i-1', at: clock.now(), reason: 'terminated' },
      { kind: 'answered', id: 'i-1', at: clock.now(), url: 'http://x', inFlight: 0 },
    ]);
    expect((await registry.list())[0]).toMatchObject({ state: 'gone', goneReason: 'terminated' });
  });

  it('takes a server id launched again after it went as a new server (a warm pool hands it out again)', async () => {
    await registry.apply([
      { kind: 'launched', id: 'i-1', at: clock.now() },
      { kind: 'answered', id: 'i-1', at: clock.now(), url: 'http://10.0.0.5:8188', inFlight: 0 },
      { kind: 'gone', id: 'i-1', at: clock.now(), reason: 'terminated' },
      // A launch time from before it went is the old instance's: ignored.
      { kind: 'launched', id: 'i-1', at: clock.now() - 1 },
    ]);
    expect((await registry.list())[0]).toMatchObject({ state: 'gone' });
    clock.advance(60_000);
    await registry.apply([{ kind: 'launched', id: 'i-1', at: clock.now() }]);
    const [s] = await registry.list();
    expect(s).toMatchObject({ id: 'i-1', state: 'booting', launchedAt: clock.now(), inFlight: 0 });
    expect(s?.url).toBeUndefined();
    expect(s?.goneAt).toBeUndefined();
  });

  it('loses no event when writers race', async () => {
    await Promise.all(
      Array.from({ length: 6 }, (_, k) =>
        registry.apply([{ kind: 'launched', id: `i-${k}`, at: clock.now() }]),
      ),
    );
    expect((await registry.list()).map((s) => s.id).sort()).toEqual([
      'i-0',
      'i-1',
      'i-2',
      'i-3',
      'i-4',
      'i-5',
    ]);
  });

  it('forgets gone servers a day after they went', async () => {
    await registry.apply([
      { kind: 'launched', id: 'i-1', at: clock.now() },
      { kind: 'gone', id: 'i-1', at: clock.now(), reason: 'scale-in' },
    ]);
    clock.advance(25 * 3600 * 1000);
    await registry.apply([{ kind: 'launched', id: 'i-2', at: clock.now() }]);
    expect((await registry.list()).map((s) => s.id)).toEqual(['i-2']);
  });
}
