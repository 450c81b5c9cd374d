/**
 * The GPU fleet of the local runtime: each "instance" is a ComfyUI stand-in on a port of its own,
 * answering only after a boot delay, as a GPU instance answers only once it has started. The fleet
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
}

interface LocalInstance {
  id: string;
  launchedAt: number;
  booted?: ComfyStandIn;
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
  };

  constructor(private readonly opts: LocalGpuFleetOptions) {}

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  async describe(): Promise<GpuInstance[]> {
    return [...this.instances.values()].map((i) => ({
      id: i.id,
      launchedAt: i.launchedAt,
      state: i.stopping ? 'stopping' : i.booted ? 'running' : 'starting',
      ...(i.booted ? { url: i.booted.url } : {}),
    }));
  }

  async launch(count: number): Promise<void> {
    for (let k = 0; k < count; k++) {
      const warm = this.pool.shift();
      if (warm) this.history.reused++;
      const id = warm?.id ?? `${this.prefix}-${this.next++}`;
      const inst: LocalInstance = { id, launchedAt: this.now(), stopping: false };
      const boot = () =>
        warm
          ? startComfyStandIn({ ...this.opts.standIn, port: warm.port }).catch(() =>
              startComfyStandIn({ ...this.opts.standIn }),
            )
          : startComfyStandIn({ ...this.opts.standIn });
      inst.timer = setTimeout(() => {
        boot().then(
          (standIn) => {
            if (inst.stopping) {
              void standIn.stop();
              return;
            }
            inst.booted = standIn;
            this.opts.onUp?.(id, standIn);
            this.opts.log?.('local gpu up', { id, url: standIn.url });
          },
          (err: unknown) => {
            this.opts.log?.('local gpu failed to boot', { id, error: String(err) });
            this.instances.delete(id);
          },
        );
      }, this.opts.bootMs);
      this.instances.set(id, inst);
      this.history.launched++;
      this.opts.log?.('local gpu launched', { id, bootMs: this.opts.bootMs });
    }
  }

  async stop(id: string): Promise<void> {
    const inst = this.instances.get(id);
    if (!inst) return;
    inst.stopping = true;
    this.instances.delete(id);
    this.history.stopped++;
    const held = inst.booted?.control.state();
    if (held && (held.running !== undefined || held.pending.length > 0)) this.history.busyStops++;
    await this.shutdown(inst);
    if (this.opts.warmPool) this.pool.push({ id, port: inst.booted?.port ?? 0 });
    this.opts.log?.('local gpu stopped', { id });
  }

  /** Take a server away at once, with whatever it runs (a spot interruption). */
  async kill(id: string): Promise<boolean> {
    const inst = this.instances.get(id);
    if (!inst) return false;
    inst.stopping = true;
    this.instances.delete(id);
    this.history.killed++;
    await this.shutdown(inst);
    this.opts.log?.('local gpu killed', { id });
    return true;
  }

  /** The stand-in of a running server (tests drive it through its control API). */
  standIn(id: string): ComfyStandIn | undefined {
    return this.instances.get(id)?.booted;
  }

  async close(): Promise<void> {
    await Promise.all([...this.instances.values()].map((i) => this.stop(i.id)));
  }

  private async shutdown(inst: LocalInstance): Promise<void> {
    if (inst.timer) clearTimeout(inst.timer);
    if (inst.booted) await inst.booted.stop();
  }
}
