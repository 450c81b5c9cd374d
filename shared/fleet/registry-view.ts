/**
 * The fleet registry as the dispatcher and the poller see it: one reading shared by every caller in a
 * container for `ttlMs`, so a batch of dispatches or a poll costs one GetItem at most. A reading that
 * fails keeps the last good one (a registry outage must not stop dispatch to servers already known).
 */
import type { Clock } from '../ports/clock.js';
import type { FleetRegistry } from '../ports/fleet-registry.js';
import { acceptsPrompts, type FleetServer } from './server.js';

export interface RegistryView {
  /** Base URLs of the servers that take prompts now. */
  ready(): Promise<string[]>;
  /** Whether the server at this base URL is known and gone (its tasks are lost). */
  isGone(baseUrl: string): Promise<boolean>;
}

export function registryView(registry: FleetRegistry, clock: Clock, ttlMs: number): RegistryView {
  let cached: { at: number; servers: Promise<FleetServer[]> } | undefined;
  let lastGood: FleetServer[] = [];
  const servers = (): Promise<FleetServer[]> => {
    const now = clock.now();
    if (!cached || now - cached.at >= ttlMs) {
      const reading = registry.list().then(
        (list) => {
          lastGood = list;
          return list;
        },
        () => lastGood,
      );
      cached = { at: now, servers: reading };
    }
    return cached.servers;
  };
  const norm = (url: string) => url.replace(/\/+$/, '');
  return {
    async ready() {
      return (await servers()).filter(acceptsPrompts).map((s) => norm(s.url as string));
    },
    async isGone(baseUrl) {
      const list = await servers();
      const matches = list.filter((s) => s.url && norm(s.url) === norm(baseUrl));
      return matches.length > 0 && matches.every((s) => s.state === 'gone');
    },
  };
}
