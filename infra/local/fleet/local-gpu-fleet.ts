/**
 * The GPU fleet of the local runtime: each "instance" is a ComfyUI stand-in on a port of its own,
 * answering only after a boot delay, as a GPU instance answers only once it has started; or, with
 * `command`, a real ComfyUI process that command starts (see comfy-command.ts), which answers when it
 * has started. The fleet
 * controller drives it through the same GpuFleet port as the Auto Scaling group. `kill` takes a
 * server away at once, running prompts and all, the way a spot interruption or a failed health check
 * does, for tests and chaos.
 */
import { randomBytes } from 'node:crypto';
import type { GpuFleet, GpuInstance } from '../../../shared/ports/gpu-fleet.js';
import {
  type ComfyStandIn,
  type StandInOptions,
  startComfyStandIn,
} from '../comfy-standin/index.js';
import { freePort } from '../emulators.js';
import { type ComfyProcess, startComfyCommand } from './comfy-command.js';

export interface LocalGpuFleetOptions {
  /** Launch → ComfyUI answering. */
  bootMs: number;
  /** Options for every stand-in (execution time, checkpoints, ...). */
  standIn?: Omit<StandInOptions, 'port' | 'dataDir'>;
  /** @default Date.now */
  now?: () => number;
  log?: (message: string, data?: Record<string, unknown>) => void;
  /** Called when a server's ComfyUI is up, before the controller can see it (chaos: faults on it). */
  onUp?: (id: string, standIn: ComfyStandIn) => void;
  /**
   * A stopped server goes back into a pool, and a launch starts it again under the same name and port
   * (a new port if that one is taken), as an Auto Scaling warm pool with reuse on scale-in hands out
   * the same instance and address again. A killed server is not returned. @default false
   */
  warmPool?: boolean;
  /**
   * Real ComfyUI servers instead of stand-ins: the command that starts one (`{port}`, `{slot}`
   * replaced). They take the time they take to answer; `bootMs` is not added.
   */
  command?: string;
  /** Where a command's servers listen. @default '127.0.0.1' */
  host?: string;
}

interface LocalInstance {
  id: string;
  launchedAt: number;
  /** 0 to max-1, unique among the servers up or booting (a CUDA device index for a command). */
  slot: number;
  /** Its ComfyUI, once it answers: a stand-in, or a process of `command`. */
  server?: ComfyStandIn | ComfyProcess;
  timer?: NodeJS.Timeout;
  stopping: boolean;
}

export class LocalGpuFleet implements GpuFleet {
  private readonly instances = new Map<string, LocalInstance>();
  private next = 1;
  private readonly pool: { id: string; port: number }[] = [];
  /**
   * Names are unique across fleets: the registry outlives the process (`--data-dir`), and it ignores
   * anything more about a server it knows as gone, as it would a terminated EC2 instance's id.
   */
  private readonly prefix = `local-gpu-${randomBytes(2).toString('hex')}`;
  /** Instances launched and stopped since the start (for status and tests). */
  readonly history = {
    launched: 0,
    stopped: 0,
    killed: 0,
    /** Stops of a server that still held prompts: scaling must never do this (kill is not a stop). */
    busyStops: 0,
    /** Launches served from the warm pool (a stopped server started again). */
    reused: 0,
    /** Servers the controller replaced for not answering (not stops: whatever they held is lost). */
    replaced: 0,
    /** Launch → answering of each server that came up, ms, in the order they came up. */
    boots: [] as number[],
  };

  constructor(private readonly opts: LocalGpuFleetOptions) {}

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  async describe(): Promise<GpuInstance[]> {
    return [...this.instances.values()].map((i) => ({
      id: i.id,
      launchedAt: i.launchedAt,
      state: i.stopping ? 'stopping' : i.server ? 'running' : 'starting',
      ...(i.server ? { url: i.server.url } : {}),
    }));
  }

  async launch(count: number): Promise<void> {
    for (let k = 0; k < count; k++) {
      const warm = this.pool.shift();
      if (warm) this.history.reused++;
      const id = warm?.id ?? `${this.prefix}-${this.next++}`;
      const inst: LocalInstance = {
        id,
        launchedAt: this.now(),
        slot: this.freeSlot(),
        stopping: false,
      };
      const up = (server: ComfyStandIn | ComfyProcess) => {
        if (inst.stopping) {
          // Stopped while booting: it never answers.
          void ('control' in server ? server.stop() : server.kill());
          return;
        }
        inst.server = server;
        if ('control' in server) this.opts.onUp?.(id, server);
        this.history.boots.push(this.now() - inst.launchedAt);
        this.opts.log?.('local gpu up', { id, url: server.url });
      };
      const failed = (err: unknown) => {
        this.opts.log?.('local gpu failed to boot', { id, error: String(err) });
        this.instances.delete(id);
      };
      if (this.opts.command) {
        void this.bootCommand(inst, warm?.port).then(up, failed);
      } else {
        const boot = () =>
          warm
            ? startComfyStandIn({ ...this.opts.standIn, port: warm.port }).catch(() =>
                startComfyStandIn({ ...this.opts.standIn }),
              )
            : startComfyStandIn({ ...this.opts.standIn });
        inst.timer = setTimeout(() => void boot().then(up, failed), this.opts.bootMs);
      }
      this.instances.set(id, inst);
      this.history.launched++;
      this.opts.log?.('local gpu launched', { id, bootMs: this.opts.bootMs });
    }
  }

  private async bootCommand(inst: LocalInstance, port: number | undefined): Promise<ComfyProcess> {
    const host = this.opts.host ?? '127.0.0.1';
    return startComfyCommand({
      command: this.opts.command as string,
      host,
      port: port || (await freePort()),
      slot: inst.slot,
    });
  }

  private freeSlot(): number {
    const used = new Set([...this.instances.values()].map((i) => i.slot));
    let slot = 0;
    while (used.has(slot)) slot++;
    return slot;
  }

  async stop(id: string, why?: 'replace'): Promise<void> {
    if (why === 'replace') {
      // Broken, not idle: taken away like a failed instance, never back into the pool.
      if (await this.takeAway(id)) this.history.replaced++;
      return;
    }
    const inst = this.instances.get(id);
    if (!inst) return;
    inst.stopping = true;
    this.instances.delete(id);
    this.history.stopped++;
    if (inst.server && (await holdsPrompts(inst.server))) this.history.busyStops++;
    await this.shutdown(inst);
    if (this.opts.warmPool) this.pool.push({ id, port: inst.server?.port ?? 0 });
    this.opts.log?.('local gpu stopped', { id });
  }

  /** Take a server away at once, with whatever it runs (a spot interruption). */
  async kill(id: string): Promise<boolean> {
    const killed = await this.takeAway(id);
    if (killed) this.history.killed++;
    return killed;
  }

  private async takeAway(id: string): Promise<boolean> {
    const inst = this.instances.get(id);
    if (!inst) return false;
    inst.stopping = true;
    this.instances.delete(id);
    // A process goes at once (SIGKILL); a stand-in's stop is as abrupt (its sockets destroyed).
    if (inst.server && !('control' in inst.server)) await inst.server.kill();
    await this.shutdown(inst);
    this.opts.log?.('local gpu killed', { id });
    return true;
  }

  /** The stand-in of a running server (tests drive it through its control API). */
  standIn(id: string): ComfyStandIn | undefined {
    const server = this.instances.get(id)?.server;
    return server && 'control' in server ? server : undefined;
  }

  async close(): Promise<void> {
    await Promise.all([...this.instances.values()].map((i) => this.stop(i.id)));
  }

  private async shutdown(inst: LocalInstance): Promise<void> {
    if (inst.timer) clearTimeout(inst.timer);
    await inst.server?.stop();
  }
}

/** Whether a server holds prompts, running or pending. */
async function holdsPrompts(server: ComfyStandIn | ComfyProcess): Promise<boolean> {
  if (!('control' in server)) return (await server.inFlight()) > 0;
  const held = server.control.state();
  return held.running !== undefined || held.pending.length > 0;
}
