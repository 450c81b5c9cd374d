/**
 * The HttpComfyClient of one ComfyUI server, on its own undici Pool with the configured sockets
 * (COMFYUI_CONNECTIONS), timeouts (COMFYUI_*_TIMEOUT_MS) and GET retries (COMFYUI_GET_RETRIES). Build
 * once per server per container (cold start) and reuse across invocations.
 */
import type { Config } from '../../config.js';
import { HttpComfyClient } from './http-comfy-client.js';

type ComfyConfig = Pick<
  Config,
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
