/**
 * The undici Pool for one ComfyUI server: keep-alive, explicit connect/headers/body timeouts. Build it
 * once per container and pass it to HttpComfyClient; never use the global dispatcher.
 */
import { Pool } from 'undici';

export interface ComfyConnectionOptions {
  /** e.g. `http://10.0.1.5:8188`; a path prefix is kept by the client, not the pool. */
  baseUrl: string;
  /** Most sockets to this server. @default 8 */
  connections?: number;
  /** TCP connect timeout in ms. @default 5000 */
  connectTimeout?: number;
  /** Time to the response headers in ms. @default 30000 */
  headersTimeout?: number;
  /** Most time between two body chunks in ms. @default 60000 */
  bodyTimeout?: number;
  /** Idle keep-alive socket lifetime in ms. @default 30000 */
  keepAliveTimeout?: number;
}

export function createComfyConnectionPool(options: ComfyConnectionOptions): Pool {
  return new Pool(new URL(options.baseUrl).origin, {
    connections: options.connections ?? 8,
    connect: { timeout: options.connectTimeout ?? 5000 },
    headersTimeout: options.headersTimeout ?? 30_000,
    bodyTimeout: options.bodyTimeout ?? 60_000,
    keepAliveTimeout: options.keepAliveTimeout ?? 30_000,
  });
}
