/**
 * One ComfyUI server of the GPU fleet as the registry knows it, and how events move it between
 * states: `booting` (launched, ComfyUI not answering yet) → `ready` (ComfyUI answered; prompts may be
 * sent) → `draining` (chosen to go or terminating: no new prompts) → `gone`. A `gone` server never
 * comes back, with one exception: an instance started again under the same id after it went (one an
 * Auto Scaling warm pool took back on scale-in and hands out again) is launched anew, a new server.
 */
type ServerState = 'booting' | 'ready' | 'draining' | 'gone';

export interface FleetServer {
  /** The instance id (EC2) or the local stand-in's name. */
  readonly id: string;
  readonly state: ServerState;
  /** ComfyUI's base URL on the private network, once the instance has an address. */
  readonly url?: string;
  readonly launchedAt: number;
  readonly readyAt?: number;
  /** Last time ComfyUI answered. */
  readonly lastSeenAt?: number;
  /** Last time it held prompts (running or pending); its idle time counts from here. */
  readonly lastBusyAt?: number;
  /**
   * Last time the fleet needed this server: at least as many servers were busy at once as its rank
   * among the ready ones, oldest first. Work spread over every server keeps each of them busy now and
   * then; this says whether the fleet could have done without the newest of them.
   */
  readonly lastNeededAt?: number;
  /**
   * Recent busy time, ms: time between contacts at which it held prompts, decayed with the time
   * constant `DEMAND_WINDOW_MS` (see `recentDemand`).
   */
  readonly recentBusyMs?: number;
  /** Prompts running or pending at ComfyUI at the last contact. */
  readonly inFlight: number;
  readonly drainingSince?: number;
  readonly goneAt?: number;
  /** Why it went: `scale-in`, `boot-timeout`, `terminated`, `unreachable`, ... */
  readonly goneReason?: string;
}

export type ServerEvent =
  /** The fleet started (or found) an instance. */
  | { kind: 'launched'; id: string; at: number; url?: string }
  /** ComfyUI answered at `url` with `inFlight` prompts queued or running. */
  | { kind: 'answered'; id: string; at: number; url: string; inFlight: number }
  /** As many servers were busy as this one's rank (see `FleetServer.lastNeededAt`). */
  | { kind: 'needed'; id: string; at: number }
  /** The instance is being taken away (scale-in, lifecycle hook, spot notice): no new prompts. */
  | { kind: 'draining'; id: string; at: number }
  /**
   * A server the controller marked `draining` for being idle takes prompts again: work came back
   * before it was stopped, and it is up already (its instance still running, not being terminated).
   */
  | { kind: 'revived'; id: string; at: number }
  /** The instance no longer exists. */
  | { kind: 'gone'; id: string; at: number; reason: string };

/**
 * The server after one event (`undefined` before the first). Events for a `gone` server are ignored,
 * but for a launch after it went: the same id started again is a new server.
 */
function applyServerEvent(
  before: FleetServer | undefined,
  event: ServerEvent,
): FleetServer | undefined {
  if (before?.state === 'gone' && !launchedAgain(before, event)) return before;
  const server = before?.state === 'gone' ? undefined : before;
  switch (event.kind) {
    case 'launched':
      if (server) return event.url && !server.url ? { ...server, url: event.url } : server;
      return {
        id: event.id,
        state: 'booting',
        launchedAt: event.at,
        inFlight: 0,
        ...(event.url ? { url: event.url } : {}),
      };
    case 'answered': {
      const base: FleetServer = server ?? {
        id: event.id,
        state: 'booting',
        launchedAt: event.at,
        inFlight: 0,
      };
      const busy = event.inFlight > 0;
      // Busy since the last contact if busy now (a gap longer than a window counts as one window).
      const since = Math.min(
        DEMAND_WINDOW_MS,
        Math.max(0, event.at - (base.lastSeenAt ?? event.at)),
      );
      const recentBusyMs = decayed(base.recentBusyMs ?? 0, since) + (busy ? since : 0);
      return {
        ...base,
        url: event.url,
        state: base.state === 'booting' ? 'ready' : base.state,
        readyAt: base.readyAt ?? event.at,
        lastSeenAt: event.at,
        inFlight: event.inFlight,
        recentBusyMs,
        // Idle time starts when the server is first seen empty after being busy (or once ready).
        lastBusyAt: busy || base.lastBusyAt === undefined ? event.at : base.lastBusyAt,
      };
    }
    case 'needed':
      if (!server || (server.lastNeededAt ?? -Infinity) >= event.at) return server;
      return { ...server, lastNeededAt: event.at };
    case 'draining':
      if (!server || server.state === 'draining') return server;
      return { ...server, state: 'draining', drainingSince: event.at };
    case 'revived': {
      if (server?.state !== 'draining') return server;
      const { drainingSince: _, ...rest } = server;
      return { ...rest, state: 'ready', lastNeededAt: event.at };
    }
    case 'gone':
      if (!server) return undefined;
      return { ...server, state: 'gone', goneAt: event.at, goneReason: event.reason, inFlight: 0 };
  }
}

/** Time constant of the fleet's recent demand: busy time this long ago counts for 1/e. */
export const DEMAND_WINDOW_MS = 10 * 60_000;

const decayed = (busyMs: number, forMs: number): number =>
  busyMs * Math.exp(-forMs / DEMAND_WINDOW_MS);

/**
 * The fleet's recent demand: GPUs busy on average over about the last `DEMAND_WINDOW_MS`
 * (exponentially weighted), over every server it had, gone ones included.
 */
export const recentDemand = (servers: readonly FleetServer[], now: number): number =>
  servers.reduce(
    (sum, x) => sum + decayed(x.recentBusyMs ?? 0, Math.max(0, now - (x.lastSeenAt ?? now))),
    0,
  ) / DEMAND_WINDOW_MS;

/** A launch of a `gone` server's id after it went (an instance started again, from a warm pool). */
export const launchedAgain = (server: FleetServer, event: { kind: string; at: number }): boolean =>
  server.state === 'gone' &&
  event.kind === 'launched' &&
  event.at >= (server.goneAt ?? Number.POSITIVE_INFINITY);

/** Counts toward capacity: up or on its way up. */
export const isLive = (s: FleetServer): boolean => s.state === 'booting' || s.state === 'ready';

/** May be given new prompts. */
export const acceptsPrompts = (s: FleetServer): boolean => s.state === 'ready' && !!s.url;

/** How long a `gone` server stays listed (for status and metrics) before the registry forgets it. */
const GONE_KEPT_MS = 24 * 3600 * 1000;

/** Every server after `events`, in the order first seen; `gone` servers older than `GONE_KEPT_MS` are dropped. */
export function applyServerEvents(
  servers: readonly FleetServer[],
  events: readonly ServerEvent[],
  now: number,
): FleetServer[] {
  const byId = new Map(servers.map((x) => [x.id, x] as const));
  for (const e of events) {
    const next = applyServerEvent(byId.get(e.id), e);
    if (next) byId.set(e.id, next);
  }
  return [...byId.values()].filter(
    (x) => x.state !== 'gone' || now - (x.goneAt ?? now) < GONE_KEPT_MS,
  );
}
