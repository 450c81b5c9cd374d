/**
 * The body of a dispatch message on the queue: JSON `{"taskId": "<uuid>", "deferrals"?: n}`. The SQS
 * adapter encodes it; the dispatcher decodes each record's body with `decodeDispatchMessage`.
 */
import { InvalidRequestError } from '../../domain/errors.js';
import { isTaskId } from '../../domain/ids.js';
import type { DispatchMessage } from '../../ports/task-queue.js';

export const encodeDispatchMessage = (m: DispatchMessage): string =>
  JSON.stringify(
    m.deferrals === undefined ? { taskId: m.taskId } : { taskId: m.taskId, deferrals: m.deferrals },
  );

/** Parse a message body; a body that is not a dispatch message is INVALID_MESSAGE (drop it). */
export function decodeDispatchMessage(body: string): DispatchMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  const p = parsed as { taskId?: unknown; deferrals?: unknown } | undefined;
  const deferralsOk =
    p?.deferrals === undefined || (Number.isInteger(p.deferrals) && (p.deferrals as number) >= 0);
  if (!p || typeof p.taskId !== 'string' || !isTaskId(p.taskId) || !deferralsOk)
    throw new InvalidRequestError(
      'The message is not a dispatch message.',
      undefined,
      'INVALID_MESSAGE',
    );
  return p.deferrals === undefined
    ? { taskId: p.taskId }
    : { taskId: p.taskId, deferrals: p.deferrals as number };
}
