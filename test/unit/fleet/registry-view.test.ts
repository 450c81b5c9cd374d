/** The cached view of the fleet registry the dispatcher and poller read. */
import { describe, expect, it } from 'vitest';
import { registryView } from '../../../shared/fleet/registry-view.js';
import { FixedClock } from '../../fakes/fixed-clock.js';
import { InMemoryFleetRegistry } from '../../fakes/in-memory-fleet.js';

describe('registryView', () => {
  it('lists ready servers only, reading the registry once per ttl', async () => {
    const clock = new FixedClock();
    const registry = new InMemoryFleetRegistry(clock);
    let reads = 0;
    const list = registry.list.bind(registry);
    registry.list = async () => {
      reads++;
      return list();
    };
    await registry.apply([
      { kind: 'answered', id: 'a', at: clock.now(), url: 'http://a:8188/', inFlight: 0 },
      { kind: 'launched', id: 'b', at: clock.now() },
      { kind: 'answered', id: 'c', at: clock.now(), url: 'http://c:8188', inFlight: 0 },
      { kind: 'draining', id: 'c', at: clock.now() },
    ]);
    reads = 0;
    const view = registryView(registry, clock, 5000);
    expect(await view.ready()).toEqual(['http://a:8188']);
    await view.ready();
    expect(reads).toBe(1);
    await registry.apply([{ kind: 'gone', id: 'a', at: clock.now(), reason: 'terminated' }]);
    expect(await view.ready()).toEqual(['http://a:8188']);
    clock.advance(5000);
    expect(await view.ready()).toEqual([]);
    expect(await view.isGone('http://a:8188')).toBe(true);
    expect(await view.isGone('http://c:8188')).toBe(false);
    expect(await view.isGone('http://unknown:8188')).toBe(false);
  });

  it('keeps the last good reading when the registry cannot be read', async () => {
    const clock = new FixedClock();
    const registry = new InMemoryFleetRegistry(clock);
    await registry.apply([
      { kind: 'answered', id: 'a', at: clock.now(), url: 'http://a', inFlight: 0 },
    ]);
    const view = registryView(registry, clock, 1000);
    expect(await view.ready()).toEqual(['http://a']);
    registry.list = async () => {
      throw new Error('throttled');
    };
    clock.advance(1000);
    expect(await view.ready()).toEqual(['http://a']);
  });
});
