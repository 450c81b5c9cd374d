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
    expect(f.history).toEqual({ launched: 2, stopped: 1, killed: 1, busyStops: 0 });
  });
});
