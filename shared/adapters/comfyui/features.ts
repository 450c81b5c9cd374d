/**
 * What a ComfyUI server supports, detected once per client (one client per server):
 * - `promptScopedInterrupt`: POST /interrupt {prompt_id} only stops that prompt (>= v0.3.57; older
 *   servers interrupt whatever runs, so the client only interrupts after /queue shows the prompt running).
 * - `jobsApi`: GET /api/jobs/{id} (>= v0.6.0), a consistent single lookup.
 * - `jobsCancel`: POST /api/jobs/{id}/cancel (after v0.8.0), an atomic dequeue-or-interrupt.
 */
export interface ComfyFeatures {
  /** `system.comfyui_version`, when the server reports one. */
  version?: string;
  promptScopedInterrupt: boolean;
  jobsApi: boolean;
  jobsCancel: boolean;
}

/** `"0.3.64"` -> [0, 3, 64]; anything unparseable -> undefined. */
export function parseVersion(v: unknown): [number, number, number] | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(v.trim());
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

export function versionAtLeast(v: unknown, min: [number, number, number]): boolean {
  const p = parseVersion(v);
  if (!p) return false;
  for (let i = 0; i < 3; i++) {
    const a = p[i] ?? 0;
    const b = min[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

export const PROMPT_SCOPED_INTERRUPT_SINCE: [number, number, number] = [0, 3, 57];
