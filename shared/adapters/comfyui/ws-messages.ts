/**
 * ComfyUI WebSocket text frames (`{"type": ..., "data": {...}}`) into ComfyEvents. Unknown types
 * (progress_state, feature_flags, custom nodes' messages) and malformed frames give undefined.
 */
import type { ComfyEvent } from '../../ports/comfy-events.js';

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export function toComfyEvent(type: unknown, data: unknown): ComfyEvent | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const d = data as Record<string, unknown>;
  const promptId = str(d.prompt_id);
  switch (type) {
    case 'execution_start':
    case 'execution_success':
      return promptId ? { type, promptId } : undefined;
    case 'execution_cached':
      return promptId
        ? {
            type,
            promptId,
            nodes: Array.isArray(d.nodes) ? d.nodes.filter((n) => typeof n === 'string') : [],
          }
        : undefined;
    case 'executing': {
      const node = d.node === null ? null : str(d.node);
      if (node === undefined) return undefined;
      return { type, node, ...(promptId ? { promptId } : {}) };
    }
    case 'progress': {
      const node = str(d.node);
      const value = num(d.value);
      const max = num(d.max);
      if (node === undefined || value === undefined || max === undefined) return undefined;
      return { type, node, value, max, ...(promptId ? { promptId } : {}) };
    }
    case 'executed': {
      const node = str(d.node);
      return promptId && node ? { type, promptId, node } : undefined;
    }
    case 'execution_error':
    case 'execution_interrupted': {
      if (!promptId) return undefined;
      const nodeId = str(d.node_id);
      const nodeType = str(d.node_type);
      return { type, promptId, ...(nodeId ? { nodeId } : {}), ...(nodeType ? { nodeType } : {}) };
    }
    case 'status': {
      const q = num(
        (d.status as { exec_info?: { queue_remaining?: unknown } } | undefined)?.exec_info
          ?.queue_remaining,
      );
      return q === undefined ? undefined : { type, queueRemaining: q };
    }
    default:
      return undefined;
  }
}

/** One text frame. */
export function parseComfyFrame(text: string): ComfyEvent | undefined {
  try {
    const m = JSON.parse(text) as { type?: unknown; data?: unknown };
    return toComfyEvent(m.type, m.data);
  } catch {
    return undefined;
  }
}
