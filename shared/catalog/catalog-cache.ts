/**
 * The API functions' view of the node catalogue: read from the store at most once per `ttlMs` per
 * container (concurrent callers share one read). A failed read keeps the last catalogue known (or
 * none), so a storage hiccup never blocks submits: without a catalogue, submit accepts and ComfyUI's
 * own validation at dispatch applies. While none is published, or the one published describes no
 * server (a fresh deployment, before the first server answers), the store is asked again after at
 * most `absentTtlMs`, so checks start within seconds of the first server's publication rather than a
 * whole TTL later.
 */
import type { Clock } from '../ports/clock.js';
import type { NodeCatalogStore } from '../ports/node-catalog-store.js';
import type { NodeCatalog } from './node-catalog.js';

export type CatalogSource = () => Promise<NodeCatalog | undefined>;

export function cachedCatalog(
  store: NodeCatalogStore,
  clock: Clock,
  ttlMs: number,
  onError: (err: unknown) => void = () => {},
  absentTtlMs = 5_000,
): CatalogSource {
  let value: NodeCatalog | undefined;
  let readAt = Number.NEGATIVE_INFINITY;
  let reading: Promise<NodeCatalog | undefined> | undefined;
  return () => {
    const fresh = value?.servers.length ? ttlMs : Math.min(ttlMs, absentTtlMs);
    if (clock.now() - readAt < fresh) return Promise.resolve(value);
    reading ??= store
      .read()
      .then(
        (c) => {
          value = c;
          return c;
        },
        (err: unknown) => {
          onError(err);
          return value;
        },
      )
      .finally(() => {
        readAt = clock.now();
        reading = undefined;
      });
    return reading;
  };
}
