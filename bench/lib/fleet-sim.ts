/**
 * A day of GPU work replayed against the real fleet controller (`controlFleet` with its capacity
 * decision) on a simulated clock, one-second steps. Tasks arrive from a trace, wait for a ready
 * server, and run one at a time at it (ComfyUI runs its queue serially); the dispatcher keeps at most
 * `maxInFlight` prompts at a server and sends each to the least-loaded server with room, as the real
 * dispatcher does (or, to compare, to the busiest). Servers are billed from launch until they are stopped (EC2 bills
 * Linux instances per second, one minute minimum). The figure of merit is GPU time billed per GPU time
 * used.
 */

import { prng } from '../../infra/local/comfy-standin/faults.js';
import {
  acceptsPrompts,
  applyServerEvents,
  type FleetServer,
  type ServerEvent,
} from '../../shared/fleet/server.js';
import type { Clock } from '../../shared/ports/clock.js';
import type { GpuFleet, GpuInstance } from '../../shared/ports/gpu-fleet.js';
import type { ControlFleetSettings } from '../../shared/use-cases/control-fleet.js';
import { controlFleet } from '../../shared/use-cases/control-fleet.js';
import { mean } from './stats.js';

const DAY_MS = 24 * 3600 * 1000;

export interface TraceTask {
  /** Arrival, ms from the start of the day. */
  at: number;
  runMs: number;
}

/**
 * A bursty day: a daily pattern (quiet night, busy afternoon) of Poisson arrivals, plus bursts of
 * 50–250 tasks within two minutes at random times of the working day. `scale` multiplies every rate.
 */
export function burstyDay(seed: number, scale: number, runMs: number): TraceTask[] {
  // Seeded, so a trace is the same on every machine.
  const rand = prng(seed);
  const tasks: TraceTask[] = [];
  const day = 24 * 3600;
  for (let s = 0; s < day; s++) {
    const hour = s / 3600;
    // Tasks per second: ~0 at 04:00, peak at 16:00 (about 0.02/s * scale).
    const daily = Math.max(0, Math.sin(((hour - 10) / 24) * 2 * Math.PI));
    const rate = 0.02 * scale * daily ** 2;
    if (rand() < rate) tasks.push({ at: s * 1000, runMs });
  }
  const bursts = 6;
  for (let b = 0; b < bursts; b++) {
    const start = (8 + rand() * 12) * 3600 * 1000;
    const n = Math.round((50 + rand() * 200) * Math.min(1, scale / 3));
    for (let k = 0; k < n; k++) tasks.push({ at: start + rand() * 120_000, runMs });
  }
  return tasks.sort((a, b) => a.at - b.at);
}

export interface SimSettings extends ControlFleetSettings {
  /** Launch → ComfyUI answering, ms (a warm-pool start, or a first boot). */
  startMs: number;
  /** First boot when the warm pool is empty (`startMs` when no warm pool). */
  firstBootMs: number;
  /** Stopped instances kept ready; a launch takes one if any (and a stop returns it). */
  warmPool: number;
  /** Most prompts at one server (the dispatcher's MAX_IN_FLIGHT). */
  maxInFlight: number;
  /** Controller schedule, ms; a submit to an empty fleet also starts a tick at once. */
  tickMs: number;
  /** How long the dispatcher's view of the registry may be stale, ms. */
  registryCacheMs: number;
  /** A fixed number of always-on servers instead of the controller. */
  alwaysOn?: number;
  /**
   * How the dispatcher picks a server with room: `least-loaded` (what `ComfySlots` does) or `busiest`.
   * @default 'least-loaded'
   */
  dispatch?: 'least-loaded' | 'busiest';
}

export interface SimResult {
  tasks: number;
  finished: number;
  busyHours: number;
  billedHours: number;
  waitP50s: number;
  waitP95s: number;
  waitMeanS: number;
  maxServers: number;
  launches: number;
  stops: number;
  /** Stops of a server that held prompts (must be 0). */
  busyStops: number;
  /** Billed GPU time before ComfyUI answered (starts and boots). */
  bootHours: number;
  /** Billed GPU time of servers up with nothing to run. */
  idleHours: number;
}

interface SimServer {
  id: string;
  launchedAt: number;
  readyAt: number;
  stoppedAt?: number;
  queue: { task: TraceTask; startedAt?: number; enqueuedAt: number }[];
}

export async function simulateFleet(
  trace: readonly TraceTask[],
  s: SimSettings,
): Promise<SimResult> {
  let now = 0;
  const clock: Clock = { now: () => now };
  const servers = new Map<string, SimServer>();
  let warm = s.warmPool;
  let next = 1;
  let launches = 0;
  let stops = 0;
  let busyStops = 0;
  const fleet: GpuFleet = {
    async describe(): Promise<GpuInstance[]> {
      return [...servers.values()]
        .filter((x) => x.stoppedAt === undefined)
        .map((x) => ({
          id: x.id,
          launchedAt: x.launchedAt,
          state: now >= x.readyAt ? 'running' : 'starting',
          ...(now >= x.readyAt ? { url: x.id } : {}),
        }));
    },
    async launch(count: number) {
      for (let k = 0; k < count; k++) {
        const fromPool = warm > 0;
        if (fromPool) warm--;
        const id = `i-${next++}`;
        launches++;
        servers.set(id, {
          id,
          launchedAt: now,
          readyAt: now + (fromPool ? s.startMs : s.firstBootMs),
          queue: [],
        });
      }
    },
    async stop(id: string) {
      const x = servers.get(id);
      if (!x || x.stoppedAt !== undefined) return;
      if (x.queue.length > 0) busyStops++;
      x.stoppedAt = now;
      stops++;
      if (s.warmPool > 0 && warm < s.warmPool) warm++;
    },
  };
  let registry: FleetServer[] = [];
  const reg = {
    list: async () => registry,
    apply: async (events: readonly ServerEvent[]) => {
      registry = applyServerEvents(registry, events, now);
      return registry;
    },
  };
  const queued: { task: TraceTask; enqueuedAt: number }[] = [];
  const atComfy = () =>
    [...servers.values()].reduce((n, x) => n + (x.stoppedAt === undefined ? x.queue.length : 0), 0);
  const deps = {
    fleet,
    registry: reg,
    clock,
    backlog: { backlog: async () => ({ queued: queued.length, atComfy: atComfy() }) },
    probe: async (url: string) => servers.get(url)?.queue.length,
  };

  if (s.alwaysOn) {
    await fleet.launch(s.alwaysOn);
    for (const x of servers.values()) x.readyAt = 0;
    await controlFleetOnce();
  }
  async function controlFleetOnce() {
    // Always-on: only record contact, never scale.
    const instances = await fleet.describe();
    const events: ServerEvent[] = instances.flatMap((i) => [
      { kind: 'launched', id: i.id, at: i.launchedAt } as const,
      ...(i.url
        ? [
            {
              kind: 'answered',
              id: i.id,
              at: now,
              url: i.url,
              inFlight: servers.get(i.id)?.queue.length ?? 0,
            } as const,
          ]
        : []),
    ]);
    await reg.apply(events);
  }

  const waits: number[] = [];
  let busyMs = 0;
  let bootMs = 0;
  let idleMs = 0;
  let finished = 0;
  let i = 0;
  let lastTick = -Infinity;
  let view: FleetServer[] = [];
  let viewAt = -Infinity;
  let maxServers = 0;
  const end = Math.max(...trace.map((t) => t.at)) + 6 * 3600 * 1000;
  for (now = 0; now <= end; now += 1000) {
    let kick = false;
    while (i < trace.length && (trace[i] as TraceTask).at <= now) {
      const live = [...servers.values()].some((x) => x.stoppedAt === undefined);
      if (!live) kick = true;
      queued.push({ task: trace[i] as TraceTask, enqueuedAt: now });
      i++;
    }
    if (s.alwaysOn) {
      if (now - lastTick >= s.tickMs) {
        await controlFleetOnce();
        lastTick = now;
      }
    } else if (kick || now - lastTick >= s.tickMs) {
      await controlFleet(deps, s);
      lastTick = now;
    }
    // The dispatcher: registry view cached for registryCacheMs, the least-loaded (or busiest) server with room.
    if (now - viewAt >= s.registryCacheMs) {
      view = registry;
      viewAt = now;
    }
    const targets = view
      .filter(acceptsPrompts)
      .map((v) => servers.get(v.id))
      .filter((x): x is SimServer => !!x && x.stoppedAt === undefined);
    const order = s.dispatch === 'busiest' ? -1 : 1;
    while (queued.length > 0) {
      const room = targets
        .filter((x) => x.queue.length < s.maxInFlight)
        // Stable: ties go to the earlier server in the registry (the oldest), as in `ComfySlots`.
        .sort((a, b) => order * (a.queue.length - b.queue.length))[0];
      if (!room) break;
      const q = queued.shift() as { task: TraceTask; enqueuedAt: number };
      room.queue.push({ task: q.task, enqueuedAt: q.enqueuedAt });
    }
    // ComfyUI: one prompt at a time per server.
    let up = 0;
    for (const x of servers.values()) {
      if (x.stoppedAt !== undefined) continue;
      up++;
      if (now < x.readyAt) bootMs += 1000;
      const head = x.queue[0];
      if (!head) {
        if (now >= x.readyAt) idleMs += 1000;
        continue;
      }
      if (head.startedAt === undefined) {
        head.startedAt = now;
        waits.push(now - head.enqueuedAt);
      }
      busyMs += 1000;
      if (now + 1000 - head.startedAt >= head.task.runMs) {
        x.queue.shift();
        finished++;
      }
    }
    maxServers = Math.max(maxServers, up);
    const drained = i >= trace.length && queued.length === 0 && atComfy() === 0;
    // Always-on servers are billed for the whole day at least.
    if (drained && (s.alwaysOn ? now >= DAY_MS : up === s.minGpus)) break;
  }
  const billedMs = [...servers.values()].reduce(
    (sum, x) => sum + Math.max(60_000, (x.stoppedAt ?? now) - x.launchedAt),
    0,
  );
  const sorted = waits.sort((a, b) => a - b);
  const pct = (p: number) =>
    (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0) / 1000;
  return {
    tasks: trace.length,
    finished,
    busyHours: busyMs / 3_600_000,
    billedHours: billedMs / 3_600_000,
    waitP50s: pct(0.5),
    waitP95s: pct(0.95),
    waitMeanS: sorted.length ? Math.round(mean(sorted) / 1000) : 0,
    maxServers,
    launches,
    stops,
    busyStops,
    bootHours: bootMs / 3_600_000,
    idleHours: idleMs / 3_600_000,
  };
}
