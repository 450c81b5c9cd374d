/**
 * The GPU fleet of a chaos run with `--fleet`: the local fleet of `npm start -- --max-gpus N` (stand-ins
 * started after a boot delay and stopped by the real fleet controller, registry in the run's table),
 * plus its faults: servers killed at random mid-run with whatever they hold (a spot interruption; a
 * busy one when one turns up soon enough), and on a crash of the whole runtime every server dies with it (they
 * live in its process) and the restarted runtime brings a new fleet up on the same registry. What it counts: servers started,
 * stopped by the controller (and why), killed, the tasks the killed ones held, and stops of a server
 * that still held prompts (scaling must never do that).
 */
import type { LocalResourceNames } from '../../infra/local/bootstrap.js';
import type { ComfyStandIn } from '../../infra/local/comfy-standin/index.js';
import {
  LOCAL_FLEET_TICK_MS,
  type LocalFleetController,
  type LocalFleetSize,
  localFleetSettings,
  startLocalFleetController,
} from '../../infra/local/fleet/local-fleet-controller.js';
import { LocalGpuFleet } from '../../infra/local/fleet/local-gpu-fleet.js';
import type { AwsClients } from '../../shared/adapters/aws/clients.js';

export interface ChaosFleetSettings extends LocalFleetSize {
  /** Mean time between two servers killed at random while the faults are on. */
  killEveryMs: number;
  /** Stopped servers go back into a warm pool and are started again under the same name. */
  warmPool?: boolean;
  /**
   * Mean time between two servers made to hang (every route of their ComfyUI never answers, the
   * process runs on) while the faults are on; the controller must replace them. Unset: none.
   */
  hangEveryMs?: number;
}

export interface ChaosFleetStats {
  settings: ChaosFleetSettings;
  launched: number;
  /** Launches served from the warm pool (a server stopped earlier, started again under its name). */
  reused: number;
  /** Servers the controller stopped, by reason (`scale-in`, `unneeded`, `boot-timeout`). */
  stopped: Record<string, number>;
  /** Servers killed at random mid-run. */
  killed: number;
  /** Servers made to hang at random mid-run (replaced by the controller: `stopped.unresponsive`). */
  hung: number;
  /** Servers that died with the runtime when it crashed. */
  lostInCrash: number;
  /** Tasks (prompt ids) a server held, running or pending, when it was killed or died in the crash. */
  heldByKilled: Set<string>;
  /** Stops (not kills) of a server that still held prompts. Must be 0. */
  busyStops: number;
  /** Most servers ready at once, as the controller saw them. */
  peakReady: number;
  /** Servers still up or starting at the end (after the wait for the idle time). */
  liveAtEnd: number;
  controllerErrors: number;
}

export interface ChaosFleetOptions {
  settings: ChaosFleetSettings;
  clients: AwsClients;
  names: LocalResourceNames;
  promptsPerGpu: number;
  executionMs: number;
  seed: number;
  /** Called for every server once its ComfyUI is up (the run puts its faults on it). */
  onUp: (standIn: ComfyStandIn) => void;
}

const held = (s: ComfyStandIn): string[] => {
  const st = s.control.state();
  return [...(st.running ? [st.running] : []), ...st.pending];
};

export class ChaosFleet {
  /** Every server that came up, in order (their run records make up the run's). */
  readonly standIns: ComfyStandIn[] = [];
  private readonly fleets: LocalGpuFleet[] = [];
  private controller: LocalFleetController | undefined;
  private readonly stats: Omit<ChaosFleetStats, 'launched' | 'busyStops' | 'reused'>;

  constructor(private readonly o: ChaosFleetOptions) {
    this.stats = {
      settings: o.settings,
      stopped: {},
      killed: 0,
      hung: 0,
      lostInCrash: 0,
      heldByKilled: new Set(),
      peakReady: 0,
      liveAtEnd: 0,
      controllerErrors: 0,
    };
  }

  private get current(): LocalGpuFleet {
    const f = this.fleets.at(-1);
    if (!f) throw new Error('the chaos fleet is not started');
    return f;
  }

  /** A new fleet (empty: it starts from zero) and its controller. */
  start(): void {
    const fleet = new LocalGpuFleet({
      bootMs: this.o.settings.bootMs,
      standIn: { executionMs: this.o.executionMs, seed: this.o.seed },
      warmPool: this.o.settings.warmPool === true,
      onUp: (_id, standIn) => {
        this.standIns.push(standIn);
        this.o.onUp(standIn);
      },
    });
    this.fleets.push(fleet);
    this.controller = startLocalFleetController({
      fleet,
      clients: this.o.clients,
      tableName: this.o.names.tasksTable,
      queueUrl: this.o.names.queueUrl,
      tickMs: LOCAL_FLEET_TICK_MS,
      settings: localFleetSettings(this.o.settings, {
        promptsPerGpu: this.o.promptsPerGpu,
        promptMs: this.o.executionMs,
      }),
      onTick: (t) => {
        for (const s of t.stopped)
          this.stats.stopped[s.reason] = (this.stats.stopped[s.reason] ?? 0) + 1;
        const ready = t.servers.filter((x) => x.state === 'ready').length;
        this.stats.peakReady = Math.max(this.stats.peakReady, ready);
      },
      onError: () => {
        this.stats.controllerErrors++;
      },
    });
  }

  /** The servers of the current fleet whose ComfyUI is up. */
  async up(): Promise<{ id: string; standIn: ComfyStandIn }[]> {
    const fleet = this.current;
    return (await fleet.describe()).flatMap((i) => {
      const standIn = i.state === 'running' ? fleet.standIn(i.id) : undefined;
      return standIn ? [{ id: i.id, standIn }] : [];
    });
  }

  /**
   * Kill one server that is up, chosen with `random` among those holding prompts: it waits up to
   * `patienceMs` for one to hold some (a kill of an idle server tests little), then takes any that is
   * up. False when none is up.
   */
  async killOne(random: () => number, patienceMs = 0): Promise<boolean> {
    const victim = await this.pick(random, patienceMs);
    if (!victim) return false;
    for (const id of held(victim.standIn)) this.stats.heldByKilled.add(id);
    if (!(await this.current.kill(victim.id))) return false;
    this.stats.killed++;
    return true;
  }

  /**
   * Make one server that is up hang, chosen as `killOne` chooses: its ComfyUI never answers again
   * while its process runs on (its prompts count as held by a killed server: they are lost with it).
   */
  async hangOne(random: () => number, patienceMs = 0): Promise<boolean> {
    const victim = await this.pick(random, patienceMs);
    if (!victim) return false;
    for (const id of held(victim.standIn)) this.stats.heldByKilled.add(id);
    victim.standIn.control.injectFault({ route: '*', kind: 'hang' });
    this.stats.hung++;
    return true;
  }

  /** A server up, preferably one holding prompts (waiting up to `patienceMs` for one). */
  private async pick(random: () => number, patienceMs: number) {
    const until = Date.now() + patienceMs;
    let up = await this.up();
    let busy = up.filter((x) => held(x.standIn).length > 0);
    while (busy.length === 0 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 100));
      up = await this.up();
      busy = up.filter((x) => held(x.standIn).length > 0);
    }
    const pool = busy.length > 0 ? busy : up;
    return pool[Math.floor(random() * pool.length)];
  }

  /** The runtime crashed: the controller stops, every server dies with it. */
  async crash(): Promise<void> {
    await this.controller?.stop();
    this.controller = undefined;
    const fleet = this.current;
    for (const inst of await fleet.describe()) {
      const standIn = fleet.standIn(inst.id);
      if (standIn) for (const id of held(standIn)) this.stats.heldByKilled.add(id);
      if (await fleet.kill(inst.id)) this.stats.lostInCrash++;
    }
  }

  /** Servers up or starting now. */
  async live(): Promise<number> {
    return (await this.current.describe()).length;
  }

  /** Waits (at most `ms`) for the fleet to be back to `minGpus`, then stops it. */
  async settleAndStop(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while ((await this.live()) > this.o.settings.minGpus && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 250));
    }
    this.stats.liveAtEnd = await this.live();
    await this.controller?.stop();
    this.controller = undefined;
    // What is still up is let go without counting as a stop of the run (the run is over).
    for (const f of this.fleets) {
      for (const inst of await f.describe()) await f.kill(inst.id);
    }
  }

  result(): ChaosFleetStats {
    const sum = (k: 'launched' | 'busyStops' | 'reused') =>
      this.fleets.reduce((n, f) => n + f.history[k], 0);
    return {
      ...this.stats,
      launched: sum('launched'),
      busyStops: sum('busyStops'),
      reused: sum('reused'),
    };
  }
}
