/**
 * The HttpComfyClient of one ComfyUI server, on its own undici Pool with the configured sockets
 * (COMFYUI_CONNECTIONS), timeouts (COMFYUI_*_TIMEOUT_MS) and GET retries (COMFYUI_GET_RETRIES). Build
 * once per server per container (cold start) and reuse across invocations: `comfyClientCache` does.
 */
import type { COMFY_CLIENT_CONFIG, Config } from '../../config.js';
import { HttpComfyClient } from './http-comfy-client.js';

type ComfyConfig = Pick<Config, (typeof COMFY_CLIENT_CONFIG)[number]>;

function comfyClientFor(baseUrl: string, config: ComfyConfig): HttpComfyClient {
  return HttpComfyClient.create({
    baseUrl,
    connections: config.COMFYUI_CONNECTIONS,
    connectTimeout: config.COMFYUI_CONNECT_TIMEOUT_MS,
    headersTimeout: config.COMFYUI_HEADERS_TIMEOUT_MS,
    bodyTimeout: config.COMFYUI_BODY_TIMEOUT_MS,
    retry: { retries: config.COMFYUI_GET_RETRIES },
  });
}

/**
 * The client of each server, built on first use and kept for the container's life; found by the URL
 * asked for and by the URL as HttpComfyClient normalises it (what tasks and the registry record).
 */
export function comfyClientCache(config: ComfyConfig): (baseUrl: string) => HttpComfyClient {
  const clients = new Map<string, HttpComfyClient>();
  return (baseUrl) => {
    const known = clients.get(baseUrl);
    if (known) return known;
    // A client opens no socket before its first request: an unused duplicate costs nothing.
    const made = comfyClientFor(baseUrl, config);
    const c = clients.get(made.baseUrl) ?? made;
    clients.set(baseUrl, c);
    clients.set(c.baseUrl, c);
    return c;
  };
}
