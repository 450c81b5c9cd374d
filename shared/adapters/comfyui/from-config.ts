/**
 * One HttpComfyClient per ComfyUI server in `COMFYUI_URLS`, each on its own undici Pool with the
 * configured sockets and timeouts. Build once per container (cold start) and reuse across invocations.
 */
import type { Config } from '../../config.js';
import { HttpComfyClient } from './http-comfy-client.js';

type ComfyConfig = Pick<
  Config,
  | 'COMFYUI_URLS'
  | 'COMFYUI_CONNECTIONS'
  | 'COMFYUI_CONNECT_TIMEOUT_MS'
  | 'COMFYUI_HEADERS_TIMEOUT_MS'
  | 'COMFYUI_BODY_TIMEOUT_MS'
  | 'COMFYUI_GET_RETRIES'
>;

export function comfyClientFor(baseUrl: string, config: ComfyConfig): HttpComfyClient {
  return HttpComfyClient.create({
    baseUrl,
    connections: config.COMFYUI_CONNECTIONS,
    connectTimeout: config.COMFYUI_CONNECT_TIMEOUT_MS,
    headersTimeout: config.COMFYUI_HEADERS_TIMEOUT_MS,
    bodyTimeout: config.COMFYUI_BODY_TIMEOUT_MS,
    retry: { retries: config.COMFYUI_GET_RETRIES },
  });
}

/** Clients for every configured server, in `COMFYUI_URLS` order. */
export function comfyClientsFromConfig(config: ComfyConfig): HttpComfyClient[] {
  return config.COMFYUI_URLS.map((url) => comfyClientFor(url, config));
}
