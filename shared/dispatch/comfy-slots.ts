/**
 * The ComfyUI servers as one dispatch sees them: how loaded each is (running + pending, read from
 * `/queue` and cached briefly), which are reachable, and slot reservations so that records handled
 * concurrently in one invocation never overfill a server. Build one per invocation (per SQS batch).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ComfyUnavailableError } from '../domain/errors.js';
import type { Clock } from '../ports/clock.js';
import type { ComfyClient, LookupResult, QueueEntry } from '../ports/comfy-client.js';

export interface ComfySlotsOptions {
  /** Most tasks queued or running at one server. */
  maxInFlight: number;
  /** How long one `/queue` reading is trusted. */
  queueCacheMs: number;
  /** While waiting for a free slot, how often each server's `/queue` is read again. */
  holdPollMs: number;
  clock: Clock;
  /** @default a real timer */
  sleep?: (ms: number) => Promise<void>;
}

/** A slot taken on one server, until the submission is known to be there or is abandoned. */
export interface Reservation {
  readonly client: ComfyClient;
  /** ComfyUI accepted the prompt: the slot stays taken until the next `/queue` reading. */
  submitted(): void;
  /** Nothing was submitted: give the slot back. */
  release(): void;
  /** The owner tag of the task this slot is for, once known (see `admitOwner`). */
  ownerTag?: string;
}

interface Entry extends QueueEntry {
  state: 'pending' | 'running';
}
interface Reading {
  /** When the `/queue` request was sent: submissions before it are in `entries`. */
  startedAt: number;
  healthy: boolean;
  entries: Entry[];
}
interface Held {
  submittedAt?: number;
  released: boolean;
  ownerTag?: string;
}

export class ComfySlots {
  private readonly readings = new Map<string, { startedAt: number; reading: Promise<Reading> }>();
  private readonly held = new Map<string, Held[]>();

  constructor(
    readonly clients: readonly ComfyClient[],
    private readonly opts: ComfySlotsOptions,
  ) {}

  /** Read (or reuse a fresh reading of) every server's queue; unreachable servers count as unhealthy. */
  async survey(): Promise<void> {
    await Promise.all(this.clients.map((c) => this.reading(c)));
  }

  /** The server whose queue (last reading) holds this prompt, with its entry. */
  async holderOf(
    promptId: string,
  ): Promise<{ client: ComfyClient; state: 'pending' | 'running'; number: number } | undefined> {
    for (const client of this.clients) {
      const r = await this.reading(client);
      const e = r.entries.find((x) => x.promptId === promptId);
      if (e) return { client, state: e.state, number: e.number };
    }
    return undefined;
  }

  async healthy(): Promise<ComfyClient[]> {
    const states = await Promise.all(this.clients.map((c) => this.reading(c)));
    return this.clients.filter((_, i) => states[i]?.healthy);
  }

  /**
   * Take a slot on the least-loaded healthy server with room (ties go to the earlier one in the
   * pool). When all are full and `waitUntil` (clock ms) is later than now, keep reading their queues
   * every `holdPollMs` until a slot frees or the time is up. `'full'` when every healthy server stayed
   * at maxInFlight; `'unavailable'` when none answered.
   */
  async reserve(opts: { waitUntil?: number } = {}): Promise<Reservation | 'full' | 'unavailable'> {
    let maxAgeMs = this.opts.queueCacheMs;
    for (;;) {
      const r = await this.tryReserve(maxAgeMs);
      if (r !== 'full') return r;
      const now = this.opts.clock.now();
      if (opts.waitUntil === undefined || now + this.opts.holdPollMs > opts.waitUntil) return r;
      await (this.opts.sleep ?? sleep)(this.opts.holdPollMs);
      maxAgeMs = this.opts.holdPollMs;
    }
  }

  private async tryReserve(maxAgeMs: number): Promise<Reservation | 'full' | 'unavailable'> {
    const states = await Promise.all(this.clients.map((c) => this.reading(c, maxAgeMs)));
    // From here on, synchronous: no other record can interleave between choosing and taking.
    let best: { client: ComfyClient; load: number } | undefined;
    let anyHealthy = false;
    this.clients.forEach((client, i) => {
      const r = states[i];
      if (!r?.healthy) return;
      anyHealthy = true;
      const load = this.load(client, r);
      if (load < this.opts.maxInFlight && (!best || load < best.load)) best = { client, load };
    });
    if (!best) return anyHealthy ? 'full' : 'unavailable';
    return this.take(best.client);
  }

  /**
   * Ask every healthy server whether it has this prompt (pending, running or finished). A server
   * that fails to answer is marked unhealthy and skipped, except `mustAnswer`, whose failure throws.
   */
  async find(
    promptId: string,
    mustAnswer?: ComfyClient,
  ): Promise<
    { client: ComfyClient; result: Exclude<LookupResult, { state: 'unknown' }> } | undefined
  > {
    const servers = await this.healthy();
    const results = await Promise.all(
      servers.map(async (client) => {
        try {
          return { client, result: await client.lookup(promptId) };
        } catch (err) {
          if (client === mustAnswer || !(err instanceof ComfyUnavailableError)) throw err;
          this.markUnavailable(client);
          return undefined;
        }
      }),
    );
    for (const r of results) {
      if (r && r.result.state !== 'unknown') return { client: r.client, result: r.result };
    }
    return undefined;
  }

  /**
   * Fair use: admit the reservation for a task of the owner tagged `tag` when fewer than `max` of
   * that owner's prompts are at ComfyUI (every server's last `/queue` reading, plus this
   * invocation's own submissions and reservations not in a reading yet), and count it as theirs.
   * False: the owner is at the cap; the caller gives the slot back and comes back later.
   */
  async admitOwner(reservation: Reservation, tag: string, max: number): Promise<boolean> {
    const states = await Promise.all(this.clients.map((c) => this.reading(c)));
    // From here on, synchronous: two records of one owner cannot both take the last place.
    let load = 0;
    this.clients.forEach((client, i) => {
      const r = states[i];
      if (!r) return;
      load += r.entries.filter((e) => e.ownerTag === tag).length;
      load += (this.held.get(client.baseUrl) ?? []).filter(
        (h) =>
          h.ownerTag === tag &&
          !h.released &&
          (h.submittedAt === undefined || h.submittedAt >= r.startedAt),
      ).length;
    });
    if (load >= max) return false;
    reservation.ownerTag = tag;
    return true;
  }

  /** A call to this server failed: treat it as down until its reading expires. */
  markUnavailable(client: ComfyClient): void {
    const startedAt = this.opts.clock.now();
    this.readings.set(client.baseUrl, {
      startedAt,
      reading: Promise.resolve({ startedAt, healthy: false, entries: [] }),
    });
  }

  private load(client: ComfyClient, r: Reading): number {
    const mine = (this.held.get(client.baseUrl) ?? []).filter(
      // A submission made before this reading started is already in its entries.
      (h) => !h.released && (h.submittedAt === undefined || h.submittedAt >= r.startedAt),
    );
    return r.entries.length + mine.length;
  }

  private take(client: ComfyClient): Reservation {
    const h: Held = { released: false };
    const list = this.held.get(client.baseUrl) ?? [];
    list.push(h);
    this.held.set(client.baseUrl, list);
    return {
      client,
      get ownerTag() {
        return h.ownerTag;
      },
      set ownerTag(tag: string | undefined) {
        h.ownerTag = tag;
      },
      submitted: () => {
        h.submittedAt ??= this.opts.clock.now();
      },
      release: () => {
        if (h.submittedAt === undefined) h.released = true;
      },
    };
  }

  private reading(client: ComfyClient, maxAgeMs = this.opts.queueCacheMs): Promise<Reading> {
    const cached = this.readings.get(client.baseUrl);
    // A reading is reused while fresh, including one still in flight.
    if (cached && this.opts.clock.now() - cached.startedAt < maxAgeMs) return cached.reading;
    const startedAt = this.opts.clock.now();
    const reading = client.getQueue().then(
      (q): Reading => ({
        startedAt,
        healthy: true,
        entries: [
          ...q.running.map((e) => ({ ...e, state: 'running' as const })),
          ...q.pending.map((e) => ({ ...e, state: 'pending' as const })),
        ],
      }),
      // Unreachable, 5xx, or an answer we cannot read: not a server to give work to now.
      (): Reading => ({ startedAt, healthy: false, entries: [] }),
    );
    this.readings.set(client.baseUrl, { startedAt, reading });
    return reading;
  }
}
