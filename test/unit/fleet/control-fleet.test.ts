/** One controller tick after another, on in-memory fleet, registry and backlog with a fake clock. */
import { beforeEach, describe, expect, it } from 'vitest';
import {
  type ControlFleetSettings,
  controlFleet,
} from '../../../shared/use-cases/control-fleet.js';
import { FixedClock } from '../../fakes/fixed-clock.js';
import {
  FixedBacklog,
  InMemoryFleetRegistry,
  InMemoryGpuFleet,
} from '../../fakes/in-memory-fleet.js';

const settings: ControlFleetSettings = {
  minGpus: 0,
  maxGpus: 3,
  promptsPerGpu: 2,
  idleMs: 60_000,
  bootTimeoutMs: 600_000,
  drainGraceMs: 10_000,
};

let clock: FixedClock;
let fleet: InMemoryGpuFleet;
let registry: InMemoryFleetRegistry;
let backlog: FixedBacklog;
/** Prompts each server holds, by URL; a URL missing here does not answer. */
let load: Map<string, number>;

const tick = (s: ControlFleetSettings = settings) =>
  controlFleet({ fleet, registry, backlog, clock, probe: async (url) => load.get(url) }, s);

beforeEach(() => {
  clock = new FixedClock();
  fleet = new InMemoryGpuFleet(clock, 90_000);
  registry = new InMemoryFleetRegistry(clock);
  backlog = new FixedBacklog();
  load = new Map();
});

const url = (id: string) => `http://gpu-${id}:8188`;
const answerAll = (n = 0) => {
  for (const i of fleet.instances.values()) load.set(url(i.id), n);
};

/** Work on an empty fleet: servers launched for `queued` tasks, up 90 s later, one prompt each. */
async function serversUp(queued: number) {
  backlog.value = { queued, atComfy: 0 };
  await tick();
  clock.advance(90_000);
  answerAll(1);
  return tick();
}

describe('controlFleet', () => {
  it('does nothing on an empty fleet with no work', async () => {
    const t = await tick();
    expect(t.started).toBe(0);
    expect(fleet.calls).toEqual([]);
  });

  it('scales out from zero to what the backlog wants, then marks servers ready once ComfyUI answers', async () => {
    backlog.value = { queued: 5, atComfy: 0 };
    await tick();
    expect(fleet.calls).toEqual(['launch 3']);
    let servers = (await tick()).servers;
    expect(servers.map((x) => x.state)).toEqual(['booting', 'booting', 'booting']);
    expect(fleet.calls).toEqual(['launch 3']);
    clock.advance(90_000);
    answerAll(0);
    servers = (await tick()).servers;
    expect(servers.map((x) => x.state)).toEqual(['ready', 'ready', 'ready']);
  });

  it('drains an idle server, stops it only after the grace, and never stops a busy one', async () => {
    await serversUp(2);
    const [id] = [...fleet.instances.keys()];
    const url = `http://gpu-${id}:8188`;

    backlog.value = { queued: 0, atComfy: 0 };
    load.set(url, 0);
    clock.advance(30_000);
    expect((await tick()).stopped).toEqual([]);
    clock.advance(60_000);
    let t = await tick();
    expect(t.servers[0]?.state).toBe('draining');
    expect(fleet.calls).not.toContain(`stop ${id}`);

    // A prompt reached it in the window: it finishes first.
    load.set(url, 1);
    clock.advance(20_000);
    t = await tick();
    expect(t.stopped).toEqual([]);
    load.set(url, 0);
    clock.advance(1_000);
    await tick();
    clock.advance(11_000);
    t = await tick();
    expect(t.stopped).toEqual([{ id, reason: 'scale-in' }]);
    expect(fleet.instances.size).toBe(0);
    expect(t.servers[0]).toMatchObject({ state: 'gone', goneReason: 'scale-in' });
  });

  it('stops a second server that spread work keeps busy now and then but the fleet never needed', async () => {
    await serversUp(4);
    const [a, b] = [...fleet.instances.keys()] as [string, string];
    // One prompt at a time, alternating between the two: never both busy.
    backlog.value = { queued: 0, atComfy: 1 };
    for (let k = 0; k < 5; k++) {
      load.set(url(a), k % 2);
      load.set(url(b), 1 - (k % 2));
      clock.advance(10_000);
      const t = await tick();
      expect(t.servers.map((x) => x.state)).toEqual(['ready', 'ready']);
    }
    // The newer one, busy 10 s ago but not needed for a minute, is marked once empty, then stopped
    // after the grace; the older one stays.
    load.set(url(a), 1);
    load.set(url(b), 0);
    clock.advance(10_000);
    let t = await tick();
    expect(t.servers.find((x) => x.id === b)?.state).toBe('draining');
    expect(t.stopped).toEqual([]);
    clock.advance(10_000);
    t = await tick();
    expect(t.stopped).toEqual([{ id: b, reason: 'scale-in' }]);
    expect(t.servers.find((x) => x.id === a)?.state).toBe('ready');
  });

  it('stops a server that came up when the work was already spread thin, though it got some', async () => {
    backlog.value = { queued: 3, atComfy: 0 };
    await tick();
    expect(fleet.calls).toEqual(['launch 2']);
    clock.advance(90_000);
    const [a, b] = [...fleet.instances.keys()] as [string, string];
    backlog.value = { queued: 0, atComfy: 2 };
    load.set(url(a), 1);
    load.set(url(b), 0);
    // Never both busy: the newer one is never needed, and goes once empty after the idle time.
    let t = await tick();
    expect(t.servers.map((x) => x.state)).toEqual(['ready', 'ready']);
    for (let k = 0; k < 12 && t.stopped.length === 0; k++) {
      load.set(url(a), k % 3 === 0 ? 0 : 1);
      load.set(url(b), k % 3 === 0 ? 1 : 0);
      clock.advance(10_000);
      t = await tick();
    }
    expect(t.stopped).toEqual([{ id: b, reason: 'scale-in' }]);
    expect(t.servers.find((x) => x.id === a)?.state).toBe('ready');
  });

  it('stops an idle server when its idle time is up: marked a grace early', async () => {
    await serversUp(1);
    const start = clock.now();
    backlog.value = { queued: 0, atComfy: 0 };
    answerAll(0);
    let t = await tick();
    for (let k = 0; k < 10 && t.stopped.length === 0; k++) {
      clock.advance(10_000);
      t = await tick();
    }
    // Last busy at `start`; marked at 50 s, stopped at 60 s.
    expect(t.stopped).toHaveLength(1);
    expect(clock.now() - start).toBe(60_000);
  });

  it('takes back a server marked to go when work comes back, instead of starting a new one', async () => {
    await serversUp(1);
    backlog.value = { queued: 0, atComfy: 0 };
    answerAll(0);
    clock.advance(50_000);
    let t = await tick();
    expect(t.servers[0]?.state).toBe('draining');
    backlog.value = { queued: 1, atComfy: 0 };
    clock.advance(5_000);
    t = await tick();
    expect(t.decision.revive).toEqual(['i-0001']);
    expect(t.servers[0]?.state).toBe('ready');
    expect(t.stopped).toEqual([]);
    expect(fleet.calls).toEqual(['launch 1']);
    clock.advance(10_000);
    t = await tick();
    expect(t.servers[0]?.state).toBe('ready');
    expect(fleet.calls).toEqual(['launch 1']);
  });

  it('does not take back an instance the group is terminating: starts a new one', async () => {
    await serversUp(1);
    const [id] = [...fleet.instances.keys()] as [string];
    const inst = fleet.instances.get(id);
    if (inst) fleet.instances.set(id, { ...inst, state: 'stopping', url: `http://gpu-${id}:8188` });
    await tick();
    const t = await tick();
    expect(t.decision.revive).toEqual([]);
    expect(t.servers.find((x) => x.id === id)?.state).toBe('draining');
    expect(fleet.calls).toEqual(['launch 1', 'launch 1']);
  });

  it('marks a server gone when its instance disappears (spot, health check) and replaces it', async () => {
    await serversUp(1);
    const [id] = [...fleet.instances.keys()];
    fleet.instances.delete(id as string);
    const t = await tick();
    expect(t.servers.find((x) => x.id === id)).toMatchObject({
      state: 'gone',
      goneReason: 'terminated',
    });
    expect(fleet.calls.at(-1)).toBe('launch 1');
  });

  it('replaces an instance that never answers within the boot timeout', async () => {
    backlog.value = { queued: 1, atComfy: 0 };
    await tick();
    clock.advance(700_000);
    const t = await tick();
    expect(t.stopped).toEqual([{ id: 'i-0001', reason: 'boot-timeout' }]);
    expect(fleet.calls).toEqual(['launch 1', 'stop i-0001', 'launch 1']);
  });

  it('replaces a server whose ComfyUI stopped answering, prompts and all, and starts another for its work', async () => {
    const tickTimed = () => tick({ ...settings, unresponsiveMs: 300_000 });
    backlog.value = { queued: 1, atComfy: 0 };
    await tickTimed();
    clock.advance(90_000);
    answerAll(1);
    backlog.value = { queued: 0, atComfy: 1 };
    await tickTimed();
    // ComfyUI hangs: the instance runs, nothing answers.
    load.clear();
    clock.advance(300_000);
    expect((await tickTimed()).stopped).toEqual([]);
    clock.advance(10_000);
    const t = await tickTimed();
    expect(t.stopped).toEqual([{ id: 'i-0001', reason: 'unresponsive' }]);
    expect(t.servers.find((x) => x.id === 'i-0001')).toMatchObject({
      state: 'gone',
      goneReason: 'unresponsive',
    });
    expect(fleet.calls).toEqual(['launch 1', 'stop i-0001 (replace)', 'launch 1']);
  });

  it('keeps a server that answers, however long it has held its prompts', async () => {
    const timed = { ...settings, unresponsiveMs: 300_000 };
    backlog.value = { queued: 0, atComfy: 1 };
    await tick(timed);
    for (let k = 0; k < 60; k++) {
      clock.advance(60_000);
      answerAll(1);
      await tick(timed);
    }
    expect(fleet.calls).toEqual(['launch 1']);
  });
});

describe('controlFleet with instances the group is terminating', () => {
  it('drains an instance in the termination hook and lets it go only once it is empty', async () => {
    await serversUp(1);
    const [id] = [...fleet.instances.keys()] as [string];
    const inst = fleet.instances.get(id);
    if (inst) fleet.instances.set(id, { ...inst, state: 'stopping', url: `http://gpu-${id}:8188` });
    let t = await tick();
    expect(t.servers.find((x) => x.id === id)?.state).toBe('draining');
    expect(fleet.calls).not.toContain(`stop ${id}`);
    load.set(`http://gpu-${id}:8188`, 0);
    clock.advance(11_000);
    t = await tick();
    expect(fleet.calls).toContain(`stop ${id}`);
  });

  it('takes an instance a warm pool hands out again under its old id as a new server, and starts no other', async () => {
    // i-0001 served, then went (scale-in into the warm pool: gone from the group).
    await registry.apply([
      { kind: 'launched', id: 'i-0001', at: clock.now() },
      {
        kind: 'answered',
        id: 'i-0001',
        at: clock.now(),
        url: 'http://gpu-i-0001:8188',
        inFlight: 0,
      },
      { kind: 'gone', id: 'i-0001', at: clock.now(), reason: 'terminated' },
    ]);
    clock.advance(60_000);
    // Work comes; the group starts the same instance again from its warm pool.
    fleet.instances.set('i-0001', { id: 'i-0001', state: 'starting', launchedAt: clock.now() });
    backlog.value = { queued: 1, atComfy: 0 };
    let t = await tick();
    expect(t.servers.map((x) => [x.id, x.state])).toEqual([['i-0001', 'booting']]);
    expect(fleet.calls).toEqual([]);
    clock.advance(90_000);
    answerAll(1);
    t = await tick();
    expect(t.servers.map((x) => [x.id, x.state])).toEqual([['i-0001', 'ready']]);
    expect(fleet.calls).toEqual([]);
  });
});

describe('runFleetController', () => {
  it('ticks while there is something to watch, and once on an idle, empty fleet', async () => {
    const { runFleetController } = await import(
      '../../../shared/use-cases/run-fleet-controller.js'
    );
    const { InMemoryPollerLease } = await import('../../fakes/in-memory-poller-lease.js');
    const lease = new InMemoryPollerLease(clock);
    const deps = {
      fleet,
      registry,
      backlog,
      clock,
      probe: async (url: string) => load.get(url),
      lease,
      holder: 'a',
      sleep: async (ms: number) => {
        clock.advance(ms);
        answerAll(0);
      },
    };
    const s = { ...settings, tickMs: 10_000, runMs: 50_000 };
    expect(await runFleetController(deps, s)).toEqual({ ticks: 1, leaseHeld: false });
    backlog.value = { queued: 1, atComfy: 0 };
    expect((await runFleetController(deps, s)).ticks).toBe(5);
    await lease.acquire('b', 60_000);
    expect(await runFleetController(deps, s)).toEqual({ ticks: 0, leaseHeld: true });
  });
});
