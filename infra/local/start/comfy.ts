/**
 * The ComfyUI server the local runtime talks to: the stand-in (infra/local/comfy-standin), or a
 * real server named by COMFYUI_URL / --comfyui-url, which must answer GET /system_stats.
 */
import { type ComfyStandIn, startComfyStandIn } from '../comfy-standin/index.js';

export interface LocalComfy {
  url: string;
  /** The stand-in, when it is the one running (tests drive it through its control API). */
  standIn?: ComfyStandIn;
  stop(): Promise<void>;
}

export async function startComfy(opts: {
  comfyuiUrl?: string;
  port: number;
  host: string;
  /** How long each stand-in run takes. */
  executionMs: number;
  /** Keeps the stand-in's output/ and input/ folders (its queue and history are lost, as in ComfyUI). */
  dataDir?: string;
}): Promise<LocalComfy> {
  if (opts.comfyuiUrl) {
    const res = await fetch(`${opts.comfyuiUrl}/system_stats`, {
      signal: AbortSignal.timeout(5000),
    }).catch((err: unknown) => {
      throw new Error(`ComfyUI at ${opts.comfyuiUrl} did not answer: ${String(err)}`);
    });
    if (!res.ok) {
      throw new Error(`ComfyUI at ${opts.comfyuiUrl} answered ${res.status} to GET /system_stats`);
    }
    return { url: opts.comfyuiUrl, stop: async () => {} };
  }
  const standIn = await startComfyStandIn({
    port: opts.port,
    host: opts.host,
    executionMs: opts.executionMs,
    ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
  });
  return { url: standIn.url, standIn, stop: () => standIn.stop() };
}
