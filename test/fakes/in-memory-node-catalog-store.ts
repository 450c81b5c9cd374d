import type { NodeCatalog } from '../../shared/catalog/node-catalog.js';
import type { NodeCatalogStore } from '../../shared/ports/node-catalog-store.js';

/** NodeCatalogStore in memory; `failReads` makes reads throw (a storage outage). */
export class InMemoryNodeCatalogStore implements NodeCatalogStore {
  catalog: NodeCatalog | undefined;
  reads = 0;
  writes = 0;
  failReads = false;
  async read() {
    this.reads++;
    if (this.failReads) throw new Error('storage unavailable');
    return this.catalog === undefined ? undefined : structuredClone(this.catalog);
  }
  async write(catalog: NodeCatalog) {
    this.writes++;
    this.catalog = structuredClone(catalog);
  }
}
