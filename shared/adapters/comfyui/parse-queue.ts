/**
 * `/queue` and `/prompt` bodies. Queue items are positional arrays
 * `[number, prompt_id, prompt, extra_data, outputs_to_execute]`; `queue_pending` is the server's heap
 * array, not in execution order, so both lists are sorted by (number, prompt_id) like the heap pops them.
 */
import { ComfyProtocolError } from '../../domain/errors.js';
import type { QueueEntry, QueueSnapshot } from '../../ports/comfy-client.js';
import { PromptQueueInfo, QueueResponse } from './schemas.js';

const byExecutionOrder = (a: QueueEntry, b: QueueEntry) =>
  a.number - b.number || (a.promptId < b.promptId ? -1 : a.promptId > b.promptId ? 1 : 0);

export function parseQueue(raw: unknown): QueueSnapshot {
  const parsed = QueueResponse.safeParse(raw);
  if (!parsed.success) {
    throw new ComfyProtocolError('ComfyUI /queue returned an unexpected shape.', {
      details: parsed.error.issues.slice(0, 5),
    });
  }
  return {
    running: [...parsed.data.queue_running].sort(byExecutionOrder),
    pending: [...parsed.data.queue_pending].sort(byExecutionOrder),
  };
}

export function parseQueueRemaining(raw: unknown): number {
  const parsed = PromptQueueInfo.safeParse(raw);
  if (!parsed.success) {
    throw new ComfyProtocolError('ComfyUI GET /prompt returned an unexpected shape.');
  }
  return parsed.data.exec_info.queue_remaining;
}
