/**
 * One tick of the fleet controller: see what exists (the fleet), what answers (a GET /queue to each
 * server with an address), and what waits (the backlog); record it in the registry; then start or stop
 * servers as `decideCapacity` says. Stopping is two-step: an idle server is first marked `draining`
 * `drainGraceMs` before its idle time is up (the dispatcher stops sending it prompts once its cached
 * registry reading expires), and is stopped on a later tick only if it is still empty after
 * `drainGraceMs`. A draining server that got a prompt in that window finishes it first; work that
 * comes back before it is stopped takes it back (`revived`) instead of starting a new GPU. An instance taken away by the group itself (instance refresh,
 * health check) waits in the drain lifecycle hook: it is marked `draining` and let go the same way.
 */
import {
  type CapacityDecision,
  type CapacitySettings,
  decideCapacity,
  neededServers,
} from '../fleet/capacity.js';
import {
  applyServerEvents,
  type FleetServer,
  isLive,
  launchedAgain,
  type ServerEvent,
} from '../fleet/server.js';
import type { Clock } from '../ports/clock.js';
import type { BacklogCounter, FleetRegistry } from '../ports/fleet-registry.js';
import type { GpuFleet } from '../ports/gpu-fleet.js';

export interface ControlFleetDeps {
  fleet: GpuFleet;
  registry: FleetRegistry;
  backlog: BacklogCounter;
  /** Prompts queued or running at this ComfyUI, or `undefined` when it does not answer. */
  probe: (url: string) => Promise<number | undefined>;
  clock: Clock;
}

export interface ControlFleetSettings extends Omit<CapacitySettings, 'drainLeadMs'> {
  /**
   * How long a server stays `draining` and empty before it is stopped (≥ the dispatcher's registry
   * cache); also the capacity decision's drain lead.
   */
  drainGraceMs: number;
}

export interface FleetTick {
  decision: CapacityDecision;
  servers: FleetServer[];
  /** Servers stopped this tick, with why. */
  stopped: { id: string; reason: string }[];
  started: number;
  /** Tasks queued plus tasks at ComfyUI, as this tick read them. */
  backlog: number;
}

export async function controlFleet(
  deps: ControlFleetDeps,
  s: ControlFleetSettings,
): Promise<FleetTick> {
  const [instances, known, backlog] = await Promise.all([
    deps.fleet.describe(),
    deps.registry.list(),
    deps.backlog.backlog(),
  ]);
  const now = deps.clock.now();
  const byId = new Map(known.map((x) => [x.id, x]));
  const events: ServerEvent[] = [];

  for (const inst of instances) {
    const server = byId.get(inst.id);
    const launched = {
      kind: 'launched',
      id: inst.id,
      at: inst.launchedAt,
      ...urlOf(inst.url),
    } as const;
    // New, or gone and started again since under the same id (a warm pool's instance handed out
    // again): a booting server. One being taken away is not started again, whatever its launch time.
    if (!server || (inst.state !== 'stopping' && launchedAgain(server, launched))) {
      events.push(launched);
    }
    if (inst.state === 'stopping' && server && isLive(server)) {
      events.push({ kind: 'draining', id: inst.id, at: now });
    }
  }
  const present = new Set(instances.map((i) => i.id));
  for (const x of known) {
    if (x.state !== 'gone' && !present.has(x.id)) {
      events.push({ kind: 'gone', id: x.id, at: now, reason: 'terminated' });
    }
  }
  const probes = await Promise.all(
    instances
      .filter((i) => i.url && i.state !== 'starting')
      .map(async (i) => ({
        id: i.id,
        url: i.url as string,
        inFlight: await deps.probe(i.url as string),
      })),
  );
  for (const p of probes) {
    if (p.inFlight !== undefined) {
      events.push({
        kind: 'answered',
        id: p.id,
        at: deps.clock.now(),
        url: p.url,
        inFlight: p.inFlight,
      });
    }
  }
  // Which servers the fleet needed at this reading (ranked oldest first over those busy now).
  events.push(...neededServers(applyServerEvents(known, events, now), now));
  let servers = events.length > 0 ? await deps.registry.apply(events) : known;

  // Marked for being idle and not stopped yet: its instance runs, the group is not terminating it.
  const running = new Set(instances.filter((i) => i.state === 'running').map((i) => i.id));
  const revivable = servers
    .filter((x) => x.state === 'draining' && running.has(x.id))
    .map((x) => x.id);
  const decision = decideCapacity(
    servers,
    backlog,
    { ...s, drainLeadMs: s.drainGraceMs },
    now,
    revivable,
  );
  const stopped: { id: string; reason: string }[] = [];
  const marks: ServerEvent[] = decision.revive.map((id) => ({ kind: 'revived', id, at: now }));
  for (const order of decision.stop) {
    if (order.reason === 'unresponsive') {
      // Broken: whatever it held is lost; the poller sends its tasks back to the queue.
      await deps.fleet.stop(order.id, 'replace');
      marks.push({ kind: 'gone', id: order.id, at: now, reason: order.reason });
      stopped.push(order);
    } else if (order.reason !== 'idle') {
      // Not ready yet, so no prompt can be there: stopped at once.
      await deps.fleet.stop(order.id);
      marks.push({ kind: 'gone', id: order.id, at: now, reason: order.reason });
      stopped.push(order);
    } else {
      marks.push({ kind: 'draining', id: order.id, at: now });
    }
  }
  // Servers marked on an earlier tick that stayed empty past the grace go now.
  for (const x of servers) {
    if (x.state !== 'draining' || x.drainingSince === undefined || x.inFlight > 0) continue;
    if (decision.revive.includes(x.id) || stopped.some((o) => o.id === x.id)) continue;
    // Empty for the whole grace: since it was marked, and since its last prompt.
    const since = Math.max(x.drainingSince, x.lastBusyAt ?? 0);
    if (now - since < s.drainGraceMs || !present.has(x.id)) continue;
    await deps.fleet.stop(x.id);
    marks.push({ kind: 'gone', id: x.id, at: now, reason: 'scale-in' });
    stopped.push({ id: x.id, reason: 'scale-in' });
  }
  // Instances we stopped that wait in the drain hook: let them go (the adapter completes the hook).
  for (const inst of instances) {
    if (inst.state === 'stopping' && byIdNow(servers, inst.id)?.state === 'gone') {
      await deps.fleet.stop(inst.id);
    }
  }
  if (decision.launch > 0) await deps.fleet.launch(decision.launch);
  if (marks.length > 0) servers = await deps.registry.apply(marks);
  return {
    decision,
    servers,
    stopped,
    started: decision.launch,
    backlog: backlog.queued + backlog.atComfy,
  };
}

const byIdNow = (servers: readonly FleetServer[], id: string) => servers.find((x) => x.id === id);
const urlOf = (url: string | undefined) => (url ? { url } : {});
