/**
 * Where the node catalogue is kept between the poller (which reads each ComfyUI server and writes it)
 * and the API functions (which read it). S3 in production: one JSON object.
 */
import type { NodeCatalog } from '../catalog/node-catalog.js';

export interface NodeCatalogStore {
  /** The published catalogue; undefined when none has been published yet. */
  read(): Promise<NodeCatalog | undefined>;
  write(catalog: NodeCatalog): Promise<void>;
}
