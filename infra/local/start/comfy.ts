/**
 * The ComfyUI server the local runtime talks to: the stand-in (infra/local/comfy-standin), or a
 * real server named by COMFYUI_URL / --comfyui-url, which must answer GET /system_stats.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface LocalComfy {
  url: string;
  standIn: boolean;
  stop(): Promise<void>;
}

interface StandInModule {
  startComfyStandIn(opts: { port?: number; host?: string }): Promise<{
    url: string;
    stop?(): Promise<void>;
    close?(): Promise<void>;
  }>;
}

export async function startComfy(opts: {
  root: string;
  comfyuiUrl?: string;
  port: number;
  host: string;
}): Promise<LocalComfy> {
  if (opts.comfyuiUrl) {
    const res = await fetch(`${opts.comfyuiUrl}/system_stats`, {
      signal: AbortSignal.timeout(5000),
    }).catch((err: unknown) => {
      throw new Error(`ComfyUI at ${opts.comfyuiUrl} did not answer: ${String(err)}`);
    });
    if (!res.ok)
      throw new Error(`ComfyUI at ${opts.comfyuiUrl} answered ${res.status} to GET /system_stats`);
    return { url: opts.comfyuiUrl, standIn: false, stop: async () => {} };
  }
  const entry = join(opts.root, 'infra', 'local', 'comfy-standin', 'index.ts');
  if (!existsSync(entry)) {
    throw new Error(
      'The ComfyUI stand-in is not on this branch yet: set COMFYUI_URL to a real ComfyUI.',
    );
  }
  const mod = (await import(pathToFileURL(entry).href)) as StandInModule;
  const server = await mod.startComfyStandIn({ port: opts.port, host: opts.host });
  return {
    url: server.url.replace(/\/+$/, ''),
    standIn: true,
    stop: async () => {
      await (server.stop ?? server.close)?.call(server);
    },
  };
}
