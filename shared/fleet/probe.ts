/** Whether a ComfyUI server answers, and how busy it is: the fleet controller's probe. */
import type { ComfyClient } from '../ports/comfy-client.js';

/** Prompts queued or running at a server, or `undefined` when it does not answer. */
export function comfyProbe(clientFor: (url: string) => ComfyClient) {
  return async (url: string): Promise<number | undefined> => {
    try {
      const q = await clientFor(url).getQueue();
      return q.running.length + q.pending.length;
    } catch {
      return undefined;
    }
  };
}
