/**
 * The fleet controller's decision, as a pure function of what it sees: how many GPUs the backlog
 * wants, which servers to start and which to stop. Scale-out is immediate; scale-in only ever names
 * servers that are ready, hold no prompts, and have not been needed for `idleMs` (see
 * `neededServers`) — the Auto Scaling group is never left to pick a victim, so a busy server is never
 * taken away by scaling.
 */
import { type FleetServer, isLive, recentDemand, type ServerEvent } from './server.js';

export interface CapacitySettings {
  minGpus: number;
  maxGpus: number;
  /** Prompts (queued for a GPU plus at ComfyUI) one GPU is expected to hold. */
  promptsPerGpu: number;
  /**
   * A ready server the fleet has not needed for this long (never as many servers busy at once as its
   * rank, oldest first) may be stopped once it holds no prompts (down to `minGpus`).
   */
  idleMs: number;
  /** A server still booting after this long is replaced. */
  bootTimeoutMs: number;
  /**
   * A server up (ready or draining) whose ComfyUI has not answered for this long is replaced: a hung
   * ComfyUI on a running instance would otherwise count as capacity and be billed for ever. Unset: never.
   */
  unresponsiveMs?: number;
  /**
   * Expected start time of a new server and run time of one prompt (`promptMs`), ms. When both are set, a server
   * is added to running ones only if the backlog would still fill it after the running servers have
   * worked through it for `startMs`: a short backlog is cleared before a new GPU would be up, and
   * starting one would only add billed time.
   */
  startMs?: number;
  promptMs?: number;
  /**
   * How long before its idle time is up a server is marked `draining` (the controller's drain grace),
   * so that it is stopped when its idle time is up rather than that much later.
   */
  drainLeadMs?: number;
  /**
   * `idleMs` becomes the longest a server is kept idle: one that recent demand would not bring a
   * prompt within a start (`startMs`, `promptMs`; see `worthKeepingIdle`) is stopped as soon as it
   * is empty. Off: every server is kept for `idleMs`.
   */
  idleFollowsDemand?: boolean;
}

export interface Backlog {
  /** Tasks waiting for dispatch. */
  queued: number;
  /** Tasks dispatched to ComfyUI or running there. */
  atComfy: number;
}

interface StopOrder {
  id: string;
  /**
   * `idle`: drain, then stop; `unneeded`: still booting and no longer wanted (it holds no prompt: the
   * dispatcher sends to ready servers only), stopped at once; `boot-timeout`: replaced;
   * `unresponsive`: up, but its ComfyUI has not answered for `unresponsiveMs`: replaced at once, its
   * prompts lost (their tasks go back to the queue).
   */
  reason: 'idle' | 'unneeded' | 'boot-timeout' | 'unresponsive';
}

export interface CapacityDecision {
  /** GPUs wanted for this backlog, within min and max. */
  desired: number;
  /** Servers up or on their way up, after the stops below. */
  live: number;
  /** Draining servers (still up) that take prompts again, before any new one is started. */
  revive: string[];
  /** New servers to start. */
  launch: number;
  stop: StopOrder[];
  /** Human-readable reasons, for logs and `npm run fleet -- status`. */
  why: string[];
}

/** GPUs wanted for a backlog: enough for the prompts at `promptsPerGpu`, at least one while work waits. */
export function gpusWanted(backlog: Backlog, s: CapacitySettings): number {
  const work = backlog.queued + backlog.atComfy;
  const forWork = work > 0 ? Math.max(1, Math.ceil(work / Math.max(1, s.promptsPerGpu))) : 0;
  return Math.min(s.maxGpus, Math.max(s.minGpus, forWork));
}

/**
 * Which servers the fleet needs now: with `k` ready servers busy, the `k` oldest ready ones (a server
 * that is not needed for `idleMs` may go once it is empty, even if spread work kept it busy now and
 * then). Ready servers only; a draining one is on its way out.
 */
export function neededServers(servers: readonly FleetServer[], now: number): ServerEvent[] {
  const ready = servers
    .filter((x) => x.state === 'ready')
    .sort(
      (a, b) =>
        (a.readyAt ?? a.launchedAt) - (b.readyAt ?? b.launchedAt) || a.id.localeCompare(b.id),
    );
  const busy = ready.filter((x) => x.inFlight > 0).length;
  return ready.slice(0, busy).map((x) => ({ kind: 'needed', id: x.id, at: now }));
}

/**
 * Whether an idle server is worth keeping up for `idleMs` when the fleet counts `size` servers with
 * it: the demand beyond what `size - 1` servers run (`demand`, GPUs busy on average recently) would
 * bring it at least one prompt in the time a new server takes to start. Keeping it up until then
 * costs less than starting one again; below that, prompts are expected too rarely to pay for waiting
 * (the break-even of renting against buying, with arrivals at the recent rate).
 */
export function worthKeepingIdle(demand: number, size: number, s: CapacitySettings): boolean {
  if (!s.idleFollowsDemand || s.startMs === undefined || s.promptMs === undefined) return true;
  return (demand - (size - 1)) * s.startMs >= s.promptMs;
}

/** Up (ready or draining) and not answering for `unresponsiveMs`. */
const unresponsive = (x: FleetServer, s: CapacitySettings, now: number): boolean =>
  s.unresponsiveMs !== undefined &&
  (x.state === 'ready' || x.state === 'draining') &&
  x.lastSeenAt !== undefined &&
  now - x.lastSeenAt > s.unresponsiveMs;

/** Since when a server counts as idle: last needed, or ready if never needed since. */
const idleSince = (x: FleetServer): number =>
  Math.max(x.lastNeededAt ?? -Infinity, x.readyAt ?? x.launchedAt);

/**
 * `revivable`: draining servers that may take prompts again (the controller marked them for being
 * idle and has not stopped them; their instance is not being terminated).
 */
export function decideCapacity(
  servers: readonly FleetServer[],
  backlog: Backlog,
  s: CapacitySettings,
  now: number,
  revivable: readonly string[] = [],
): CapacityDecision {
  const why: string[] = [];
  const stop: StopOrder[] = [];
  const desired = gpusWanted(backlog, s);
  why.push(
    `backlog ${backlog.queued} queued + ${backlog.atComfy} at ComfyUI at ${s.promptsPerGpu} per GPU → ${desired} wanted (min ${s.minGpus}, max ${s.maxGpus})`,
  );

  const live = servers.filter(isLive);
  const stuck = live.filter((x) => x.state === 'booting' && now - x.launchedAt > s.bootTimeoutMs);
  for (const x of stuck) {
    stop.push({ id: x.id, reason: 'boot-timeout' });
    why.push(`${x.id} still booting after ${Math.round((now - x.launchedAt) / 1000)} s: replaced`);
  }
  const silent = servers.filter((x) => unresponsive(x, s, now));
  for (const x of silent) {
    stop.push({ id: x.id, reason: 'unresponsive' });
    why.push(
      `${x.id} (${x.state}) has not answered for ${Math.round((now - (x.lastSeenAt ?? now)) / 1000)} s: replaced`,
    );
  }
  const healthy = live.filter((x) => !stuck.includes(x) && !silent.includes(x));

  let launch = 0;
  const revive: string[] = [];
  if (desired > healthy.length) {
    // A server still up, only marked to go, serves at once: take it back before starting one.
    const back = servers
      .filter((x) => x.state === 'draining' && revivable.includes(x.id) && !silent.includes(x))
      .sort((a, b) => (b.drainingSince ?? 0) - (a.drainingSince ?? 0) || a.id.localeCompare(b.id))
      .slice(0, desired - healthy.length);
    for (const x of back) {
      revive.push(x.id);
      why.push(`${x.id} draining but still up: takes prompts again`);
    }
    const up = healthy.length + revive.length;
    launch = desired - up;
    const ready = healthy.filter((x) => x.state === 'ready').length + revive.length;
    if (launch > 0 && ready > 0 && s.startMs !== undefined && s.promptMs !== undefined) {
      const work = (backlog.queued + backlog.atComfy) * s.promptMs;
      const left = work - up * s.startMs;
      const worth = Math.max(0, Math.floor(left / (s.promptMs * Math.max(1, s.promptsPerGpu))));
      if (worth < launch) {
        why.push(
          `${Math.round(left / 1000)} s of work left after a start: ${worth} of ${launch} worth starting`,
        );
        launch = worth;
      }
    }
    if (launch > 0) why.push(`${up} live → start ${launch}`);
  } else if (desired < healthy.length) {
    // Servers still booting go first, newest first: they hold nothing and are furthest from useful.
    const booting = healthy
      .filter((x) => x.state === 'booting')
      .sort((a, b) => b.launchedAt - a.launchedAt || a.id.localeCompare(b.id))
      .slice(0, healthy.length - desired);
    for (const x of booting) {
      stop.push({ id: x.id, reason: 'unneeded' });
      why.push(`${x.id} still booting and no longer wanted: stopped`);
    }
    const idle = healthy
      .filter((x) => x.state === 'ready' && x.inFlight === 0)
      .map((x) => ({ x, idleFor: now - idleSince(x) }))
      .sort((a, b) => b.idleFor - a.idleFor || a.x.id.localeCompare(b.x.id));
    const surplus = healthy.length - desired - booting.length;
    const demand = recentDemand(servers, now);
    let stopped = 0;
    for (const c of idle.slice(0, surplus)) {
      const keep = worthKeepingIdle(demand, healthy.length - booting.length - stopped, s);
      // Marked `drainLeadMs` early, so that it is stopped when its idle time is up.
      const markAfter = Math.max(0, (keep ? s.idleMs : 0) - (s.drainLeadMs ?? 0));
      if (c.idleFor < markAfter) break;
      stop.push({ id: c.x.id, reason: 'idle' });
      why.push(
        keep
          ? `${c.x.id} idle for ${Math.round(c.idleFor / 1000)} s: stopped`
          : `${c.x.id} empty, and recent demand (${demand.toFixed(2)} GPUs busy) would not bring it a prompt within a start: stopped`,
      );
      stopped++;
    }
    if (stopped < surplus) {
      why.push(`${surplus - stopped} more than wanted, kept until idle for ${s.idleMs / 1000} s`);
    }
  }
  const stoppedLive = stop.filter(
    (o) => o.reason !== 'boot-timeout' && o.reason !== 'unresponsive',
  ).length;
  return {
    desired,
    live: healthy.length - stoppedLive + revive.length + launch,
    revive,
    launch,
    stop,
    why,
  };
}
