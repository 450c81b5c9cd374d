/**
 * The poller's side of the node catalogue: read each ComfyUI server's `/object_info` and model lists
 * and publish them (compacted) for the API functions, at most once per `refreshMs` (and at once on a
 * container's first run when the stored one is older). A server that does not answer keeps the entry
 * it had; a server no longer in the pool is dropped. A GPU fleet at zero keeps the catalogue of its last
 * servers: every GPU of the fleet runs the same setup, so it describes the next one too (submissions to
 * an empty fleet are still checked, and `GET /v1/models` still lists the models). Best effort: a
 * failure is logged, and the next run tries again.
 */
import { compactCatalog, type NodeCatalog, type ServerCatalog } from '../catalog/node-catalog.js';
import { logger } from '../observability.js';
import type { Clock } from '../ports/clock.js';
import type { ComfyClient } from '../ports/comfy-client.js';
import type { NodeCatalogStore } from '../ports/node-catalog-store.js';

export interface PublishCatalogDeps {
  /** The pool's base URLs (COMFYUI_URLS), or, with a GPU fleet, the servers ready now. */
  servers: readonly string[] | (() => Promise<readonly string[]>);
  comfyFor(baseUrl: string): ComfyClient;
  store: NodeCatalogStore;
  clock: Clock;
}

async function readServer(comfy: ComfyClient, readAt: string): Promise<ServerCatalog> {
  const [objectInfo, models] = await Promise.all([comfy.getObjectInfo(), comfy.listModels()]);
  return compactCatalog(comfy.baseUrl, objectInfo, models, readAt);
}

/** Read every server and write the catalogue; returns what was written. */
async function publishCatalog(
  deps: PublishCatalogDeps,
  urls: readonly string[],
  previous?: NodeCatalog,
): Promise<NodeCatalog> {
  const now = new Date(deps.clock.now()).toISOString();
  const servers: ServerCatalog[] = [];
  for (const url of urls) {
    const comfy = deps.comfyFor(url);
    try {
      servers.push(await readServer(comfy, now));
    } catch (err) {
      const kept = previous?.servers.find((s) => s.server === comfy.baseUrl);
      logger.warn('node catalogue of a server not read', {
        comfyServer: comfy.baseUrl,
        error: String(err),
        keptFrom: kept?.readAt,
      });
      if (kept) servers.push(kept);
    }
  }
  const catalog: NodeCatalog = { version: 1, publishedAt: now, servers };
  await deps.store.write(catalog);
  logger.info('node catalogue published', {
    servers: servers.length,
    nodes: servers[0] ? Object.keys(servers[0].nodes).length : 0,
  });
  return catalog;
}

const serversOf = async (deps: PublishCatalogDeps): Promise<readonly string[]> =>
  typeof deps.servers === 'function' ? deps.servers() : deps.servers;

/** Whether the servers up now are not the ones the catalogue describes (a fleet scaled). */
function serversChanged(deps: PublishCatalogDeps, urls: readonly string[], last: NodeCatalog) {
  const now = new Set(urls.map((u) => deps.comfyFor(u).baseUrl));
  const had = new Set(last.servers.map((s) => s.server));
  return now.size !== had.size || [...now].some((u) => !had.has(u));
}

/**
 * Publishes when the last catalogue is `refreshMs` old, or at once when a fleet's servers changed
 * (but for a fleet gone to zero, whose last catalogue stands); remembers it between runs of a
 * container.
 */
export function catalogPublisher(deps: PublishCatalogDeps, refreshMs: number) {
  let last: NodeCatalog | undefined;
  let loaded = false;
  const fleet = typeof deps.servers === 'function';
  return async function publishIfDue(): Promise<boolean> {
    try {
      if (!loaded) {
        last = await deps.store.read();
        loaded = true;
      }
      const urls = await serversOf(deps);
      if (fleet && urls.length === 0 && last && last.servers.length > 0) return false;
      const age = last ? deps.clock.now() - Date.parse(last.publishedAt) : Number.POSITIVE_INFINITY;
      const changed = fleet && last !== undefined && serversChanged(deps, urls, last);
      if (age < refreshMs && !changed) return false;
      last = await publishCatalog(deps, urls, last);
      return true;
    } catch (err) {
      logger.warn('node catalogue not published', { error: String(err) });
      return false;
    }
  };
}
