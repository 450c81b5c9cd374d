/** The local GPU fleet: stand-ins that answer only after their boot delay, stopped or killed on demand. */
import { afterEach, describe, expect, it } from 'vitest';
import { LocalGpuFleet } from '../../../infra/local/fleet/local-gpu-fleet.js';

let fleet: LocalGpuFleet | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

const waitFor = async <T>(fn: () => Promise<T | undefined>, ms = 10_000): Promise<T> => {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('LocalGpuFleet', () => {
  it('boots stand-ins on their own ports after the boot delay, and stops them', async () => {
    fleet = new LocalGpuFleet({ bootMs: 300, standIn: { executionMs: 10 } });
    const f = fleet;
    await f.launch(2);
    const first = await f.describe();
    expect(first.map((i) => i.state)).toEqual(['starting', 'starting']);
    const up = await waitFor(async () => {
      const all = await f.describe();
      return all.every((i) => i.url) ? all : undefined;
    });
    expect(new Set(up.map((i) => i.url)).size).toBe(2);
    for (const i of up) {
      const res = await fetch(`${i.url}/queue`);
      expect(res.status).toBe(200);
    }
    const [a] = up;
    await f.stop(a?.id as string);
    expect((await f.describe()).map((i) => i.id)).not.toContain(a?.id);
    await expect(fetch(`${a?.url}/queue`)).rejects.toThrow();
  });

  it('kills a server at once, and a stop during boot means it never answers', async () => {
    fleet = new LocalGpuFleet({ bootMs: 200, standIn: { executionMs: 10 } });
    const f = fleet;
    await f.launch(2);
    const [early, late] = (await f.describe()).map((i) => i.id) as [string, string];
    await f.stop(early);
    const up = await waitFor(async () => (await f.describe()).find((i) => i.url));
    expect(up.id).toBe(late);
    expect(await f.kill(late)).toBe(true);
    expect(await f.describe()).toEqual([]);
    expect(f.history).toMatchObject({
      launched: 2,
      stopped: 1,
      killed: 1,
      busyStops: 0,
      reused: 0,
      replaced: 0,
    });
    // Only the one that came up has a boot time: at least its boot delay.
    expect(f.history.boots).toHaveLength(1);
    expect(f.history.boots[0]).toBeGreaterThanOrEqual(200);
  });

  it('replaces a broken server without counting a stop, and never takes it back into the pool', async () => {
    fleet = new LocalGpuFleet({ bootMs: 50, warmPool: true, standIn: { executionMs: 10 } });
    const f = fleet;
    await f.launch(1);
    const up = await waitFor(async () => (await f.describe()).find((i) => i.url));
    await f.stop(up.id, 'replace');
    await expect(fetch(`${up.url}/queue`)).rejects.toThrow();
    expect(f.history).toMatchObject({ replaced: 1, stopped: 0, busyStops: 0 });
    await f.launch(1);
    expect(f.history.reused).toBe(0);
  });

  it("names its servers apart from another fleet's (a restart on the same registry)", async () => {
    // The registry outlives the process with --data-dir and ignores any news of a server it knows
    // as gone: a second run's servers named like the first's would never be seen to boot.
    fleet = new LocalGpuFleet({ bootMs: 60_000 });
    const second = new LocalGpuFleet({ bootMs: 60_000 });
    try {
      await fleet.launch(2);
      await second.launch(2);
      const ids = [...(await fleet.describe()), ...(await second.describe())].map((i) => i.id);
      expect(new Set(ids).size).toBe(4);
    } finally {
      await second.close();
    }
  });

  it("tells who is up when a server boots, and a stop during a restart's downtime is for good", async () => {
    const up: string[] = [];
    fleet = new LocalGpuFleet({ bootMs: 50, onUp: (id) => up.push(id) });
    const f = fleet;
    await f.launch(1);
    const inst = await waitFor(async () => (await f.describe()).find((i) => i.url));
    expect(up).toEqual([inst.id]);
    const standIn = f.standIn(inst.id);
    const restarting = standIn?.control.restart({ downtimeMs: 300 });
    await f.stop(inst.id);
    await restarting;
    await expect(fetch(`${inst.url}/queue`)).rejects.toThrow();
  });

  it('with a warm pool, starts a stopped server again under its name and address; a killed one never', async () => {
    fleet = new LocalGpuFleet({ bootMs: 50, warmPool: true });
    const f = fleet;
    await f.launch(2);
    const [a, b] = await waitFor(async () => {
      const all = await f.describe();
      return all.length === 2 && all.every((i) => i.url) ? all : undefined;
    });
    await f.stop(a?.id as string);
    expect(await f.kill(b?.id as string)).toBe(true);
    await f.launch(2);
    const again = await waitFor(async () => {
      const all = await f.describe();
      return all.length === 2 && all.every((i) => i.url) ? all : undefined;
    });
    expect(again.find((i) => i.id === a?.id)?.url).toBe(a?.url);
    expect(again.map((i) => i.id)).not.toContain(b?.id);
    expect(f.history.reused).toBe(1);
  });
});
