import { describe, expect, it } from 'vitest';
import { nodeDefs } from '../../../infra/local/comfy-standin/node-defs.js';
import { cachedCatalog } from '../../../shared/catalog/catalog-cache.js';
import type { ComfyClient } from '../../../shared/ports/comfy-client.js';
import { catalogPublisher } from '../../../shared/use-cases/publish-catalog.js';
import { FixedClock } from '../../fakes/fixed-clock.js';
import { InMemoryNodeCatalogStore } from '../../fakes/in-memory-node-catalog-store.js';

/** The two calls the publisher makes, on a server that can be taken down. */
function server(baseUrl: string) {
  const s = {
    up: true,
    reads: 0,
    client: {
      baseUrl,
      async getObjectInfo() {
        s.reads++;
        if (!s.up) throw new Error('connect ECONNREFUSED');
        return nodeDefs({ checkpoints: ['sd15.safetensors'], inputs: [] });
      },
      async listModels() {
        if (!s.up) throw new Error('connect ECONNREFUSED');
        return { checkpoints: ['sd15.safetensors'] };
      },
    } as unknown as ComfyClient,
  };
  return s;
}

describe('catalogPublisher', () => {
  it('publishes every server, then again only when the refresh interval has passed', async () => {
    const clock = new FixedClock();
    const store = new InMemoryNodeCatalogStore();
    const a = server('http://gpu-1:8188');
    const b = server('http://gpu-2:8188');
    const byUrl = new Map([
      [a.client.baseUrl, a.client],
      [b.client.baseUrl, b.client],
    ]);
    const publish = catalogPublisher(
      { servers: [...byUrl.keys()], comfyFor: (u) => byUrl.get(u) as ComfyClient, store, clock },
      300_000,
    );
    expect(await publish()).toBe(true);
    expect(store.catalog?.servers.map((s) => s.server)).toEqual([...byUrl.keys()]);
    expect(store.catalog?.servers[0]?.nodes.KSampler).toBeDefined();

    clock.advance(299_000);
    expect(await publish()).toBe(false);
    expect(a.reads).toBe(1);

    // A server that does not answer keeps the entry it had.
    clock.advance(2_000);
    b.up = false;
    expect(await publish()).toBe(true);
    expect(store.catalog?.publishedAt).toBe(clock.iso());
    expect(store.catalog?.servers.map((s) => [s.server, s.readAt])).toEqual([
      ['http://gpu-1:8188', clock.iso()],
      ['http://gpu-2:8188', '2026-01-01T00:00:00.000Z'],
    ]);
  });

  it('does not publish again on a cold start when the stored catalogue is fresh', async () => {
    const clock = new FixedClock();
    const store = new InMemoryNodeCatalogStore();
    const a = server('http://gpu-1:8188');
    const deps = { servers: [a.client.baseUrl], comfyFor: () => a.client, store, clock };
    await catalogPublisher(deps, 300_000)();
    clock.advance(60_000);
    expect(await catalogPublisher(deps, 300_000)()).toBe(false);
    expect(store.writes).toBe(1);
  });
});

describe('catalogPublisher on a GPU fleet', () => {
  const fleetOf = () => {
    const clock = new FixedClock();
    const store = new InMemoryNodeCatalogStore();
    const byUrl = new Map<string, ComfyClient>();
    let up: string[] = [];
    const publish = catalogPublisher(
      {
        servers: async () => up,
        comfyFor: (u) => {
          const c = byUrl.get(u) ?? server(u).client;
          byUrl.set(u, c);
          return c;
        },
        store,
        clock,
      },
      300_000,
    );
    const listed = () => store.catalog?.servers.map((s) => s.server);
    return { clock, store, publish, listed, scaleTo: (urls: string[]) => (up = urls) };
  };

  it('publishes at once when a server joins or goes, without waiting for the refresh', async () => {
    const f = fleetOf();
    f.scaleTo(['http://10.0.1.10:8188']);
    expect(await f.publish()).toBe(true);
    f.clock.advance(5_000);
    expect(await f.publish()).toBe(false);
    f.scaleTo(['http://10.0.1.10:8188', 'http://10.0.1.11:8188']);
    expect(await f.publish()).toBe(true);
    expect(f.listed()).toEqual(['http://10.0.1.10:8188', 'http://10.0.1.11:8188']);
    f.scaleTo(['http://10.0.1.11:8188']);
    expect(await f.publish()).toBe(true);
    expect(f.listed()).toEqual(['http://10.0.1.11:8188']);
  });

  it("keeps the last servers' catalogue while the fleet is at zero, and replaces it when a GPU is up again", async () => {
    const f = fleetOf();
    f.scaleTo(['http://10.0.1.10:8188']);
    await f.publish();
    f.scaleTo([]);
    f.clock.advance(3_600_000);
    expect(await f.publish()).toBe(false);
    expect(f.listed()).toEqual(['http://10.0.1.10:8188']);
    expect(f.store.catalog?.servers[0]?.nodes.KSampler).toBeDefined();
    f.scaleTo(['http://10.0.1.12:8188']);
    expect(await f.publish()).toBe(true);
    expect(f.listed()).toEqual(['http://10.0.1.12:8188']);
  });

  it('publishes an empty catalogue only for a fleet that never had a server', async () => {
    const f = fleetOf();
    expect(await f.publish()).toBe(true);
    expect(f.listed()).toEqual([]);
  });
});

const oneServer = {
  server: 'http://gpu-1:8188',
  readAt: '2026-01-01T00:00:00.000Z',
  nodes: {},
  models: { checkpoints: ['sd15.safetensors'] },
};

describe('cachedCatalog', () => {
  it('reads once per TTL, and keeps the last catalogue when a read fails', async () => {
    const clock = new FixedClock();
    const store = new InMemoryNodeCatalogStore();
    const errors: unknown[] = [];
    const get = cachedCatalog(store, clock, 60_000, (e) => errors.push(e));
    const first = { version: 1 as const, publishedAt: clock.iso(), servers: [oneServer] };
    store.catalog = first;
    expect(await get()).toEqual(first);
    store.catalog = { ...first, publishedAt: 'later' };
    clock.advance(59_999);
    expect(await get()).toEqual(first); // cached
    clock.advance(1);
    expect(await Promise.all([get(), get()])).toEqual([store.catalog, store.catalog]);
    expect(store.reads).toBe(2);
    clock.advance(60_000);
    store.failReads = true;
    expect(await get()).toEqual(store.catalog);
    expect(errors).toHaveLength(1);
  });

  it('asks again within seconds while no catalogue is published, so checks start soon after the first', async () => {
    const clock = new FixedClock();
    const store = new InMemoryNodeCatalogStore();
    const get = cachedCatalog(store, clock, 60_000, () => {}, 5_000);
    expect(await get()).toBeUndefined();
    store.catalog = { version: 1, publishedAt: clock.iso(), servers: [] };
    clock.advance(4_999);
    expect(await get()).toBeUndefined();
    clock.advance(1);
    expect(await get()).toEqual(store.catalog);
    expect(store.reads).toBe(2);
  });

  it('asks again within seconds while the catalogue describes no server (a fleet that never had one)', async () => {
    const clock = new FixedClock();
    const store = new InMemoryNodeCatalogStore();
    store.catalog = { version: 1, publishedAt: clock.iso(), servers: [] };
    const get = cachedCatalog(store, clock, 60_000, () => {}, 5_000);
    expect(await get()).toEqual(store.catalog);
    store.catalog = { version: 1, publishedAt: clock.iso(), servers: [oneServer] };
    clock.advance(5_000);
    expect((await get())?.servers).toEqual([oneServer]);
    // Then cached for the whole TTL.
    clock.advance(59_999);
    await get();
    expect(store.reads).toBe(2);
  });
});
