/**
 * The registry of ComfyUI servers (instance id, address, state, last contact, prompts in flight),
 * written by the fleet controller and read, cached briefly, by the dispatcher and the poller.
 */
import type { Backlog } from '../fleet/capacity.js';
import type { FleetServer, ServerEvent } from '../fleet/server.js';

export interface FleetRegistry {
  /** Every known server, `gone` ones included until they are forgotten. */
  list(): Promise<FleetServer[]>;
  /** Apply events in order (concurrent writers are serialised) and return the servers after them. */
  apply(events: readonly ServerEvent[]): Promise<FleetServer[]>;
}

/** What the fleet is sized for: tasks waiting for dispatch and tasks at ComfyUI. */
export interface BacklogCounter {
  backlog(): Promise<Backlog>;
}
