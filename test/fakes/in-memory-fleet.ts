/** In-memory fleet registry, backlog and GPU fleet, for the controller's unit tests and the bench. */

import type { Backlog } from '../../shared/fleet/capacity.js';
import {
  applyServerEvents,
  type FleetServer,
  type ServerEvent,
} from '../../shared/fleet/server.js';
import type { Clock } from '../../shared/ports/clock.js';
import type { BacklogCounter, FleetRegistry } from '../../shared/ports/fleet-registry.js';
import type { GpuFleet, GpuInstance } from '../../shared/ports/gpu-fleet.js';

export class InMemoryFleetRegistry implements FleetRegistry {
  private servers: FleetServer[] = [];
  constructor(private readonly clock: Clock) {}
  async list(): Promise<FleetServer[]> {
    return this.servers.map((x) => ({ ...x }));
  }
  async apply(events: readonly ServerEvent[]): Promise<FleetServer[]> {
    this.servers = applyServerEvents(this.servers, events, this.clock.now());
    return this.list();
  }
}

export class FixedBacklog implements BacklogCounter {
  constructor(public value: Backlog = { queued: 0, atComfy: 0 }) {}
  async backlog(): Promise<Backlog> {
    return { ...this.value };
  }
}

/**
 * Instances that start after `bootMs` (state `starting`, then `running` with a URL) and go at once when
 * stopped. `calls` records what the controller asked for.
 */
export class InMemoryGpuFleet implements GpuFleet {
  readonly instances = new Map<string, GpuInstance>();
  readonly calls: string[] = [];
  private next = 1;
  constructor(
    private readonly clock: Clock,
    private readonly bootMs = 0,
  ) {}
  async describe(): Promise<GpuInstance[]> {
    const now = this.clock.now();
    return [...this.instances.values()].map((i) =>
      i.state === 'starting' && now - i.launchedAt >= this.bootMs
        ? { ...i, state: 'running', url: `http://gpu-${i.id}:8188` }
        : { ...i },
    );
  }
  async launch(count: number): Promise<void> {
    this.calls.push(`launch ${count}`);
    for (let k = 0; k < count; k++) {
      const id = `i-${String(this.next++).padStart(4, '0')}`;
      this.instances.set(id, { id, state: 'starting', launchedAt: this.clock.now() });
    }
  }
  async stop(id: string, why?: 'replace'): Promise<void> {
    this.calls.push(why ? `stop ${id} (${why})` : `stop ${id}`);
    this.instances.delete(id);
  }
}
