/** The ComfyUI adapter: HttpComfyClient, its Pool factory, and the parsers it uses. */

export { type ComfyConnectionOptions, createComfyConnectionPool } from './connection-pool.js';
export { translateTransportError } from './errors.js';
export type { ComfyFeatures } from './features.js';
export { comfyClientFor, comfyClientsFromConfig } from './from-config.js';
export { HttpComfyClient, type HttpComfyClientOptions } from './http-comfy-client.js';
export {
  collectOutputFiles,
  outcomeFromStatus,
  parseHistoryEntry,
  parseHistoryResponse,
} from './parse-history.js';
export { parseQueue } from './parse-queue.js';
export { DEFAULT_RETRY, type RetryPolicy } from './retry.js';
