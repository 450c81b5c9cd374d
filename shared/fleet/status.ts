/**
 * What `npm run fleet -- status` shows: every server of the registry (state, address, prompts in
 * flight), the backlog, and the capacity the controller wants for it and why.
 */
import { type Backlog, type CapacitySettings, decideCapacity } from './capacity.js';
import { type FleetServer, recentDemand } from './server.js';

export interface FleetStatus {
  servers: { id: string; state: FleetServer['state']; url: string | null; inFlight: number }[];
  desired: number;
  live: number;
  backlog: Backlog;
  /** GPUs busy on average recently (weighted over about 10 minutes; see `recentDemand`). */
  demand: number;
  why: string[];
}

export function fleetStatus(
  servers: readonly FleetServer[],
  backlog: Backlog,
  settings: CapacitySettings,
  now: number,
): FleetStatus {
  const d = decideCapacity(servers, backlog, settings, now);
  return {
    servers: servers.map((s) => ({
      id: s.id,
      state: s.state,
      url: s.url ?? null,
      inFlight: s.inFlight,
    })),
    desired: d.desired,
    live: d.live - d.launch,
    backlog,
    demand: Math.round(recentDemand(servers, now) * 100) / 100,
    why: d.why,
  };
}

export function formatFleetStatus(s: FleetStatus): string {
  const rows = s.servers.map(
    (x) =>
      `  ${x.id.padEnd(22)} ${x.state.padEnd(9)} ${String(x.inFlight).padStart(3)}  ${x.url ?? '-'}`,
  );
  return [
    `servers: ${s.live} live, ${s.desired} wanted`,
    ...(rows.length
      ? [`  ${'id'.padEnd(22)} ${'state'.padEnd(9)} in-flight  url`, ...rows]
      : ['  (none)']),
    `backlog: ${s.backlog.queued} queued, ${s.backlog.atComfy} at ComfyUI`,
    `recent demand: ${s.demand.toFixed(2)} GPUs busy (weighted over about 10 minutes)`,
    ...s.why.map((w) => `why: ${w}`),
  ].join('\n');
}
