/**
 * The body of a dispatch message on the queue: JSON `{"taskId": "<uuid>", "deferrals"?: n,
 * "waitingSince"?: epochMs}`. The SQS adapter encodes it; the dispatcher decodes each record's body
 * with `decodeDispatchMessage`.
 */
import { InvalidRequestError } from '../../domain/errors.js';
import { isTaskId } from '../../domain/ids.js';
import type { DispatchMessage } from '../../ports/task-queue.js';

export const encodeDispatchMessage = (m: DispatchMessage): string =>
  JSON.stringify({
    taskId: m.taskId,
    ...(m.deferrals === undefined ? {} : { deferrals: m.deferrals }),
    ...(m.waitingSince === undefined ? {} : { waitingSince: m.waitingSince }),
  });

const wholeAtLeastZero = (v: unknown) =>
  v === undefined || (Number.isInteger(v) && (v as number) >= 0);

/** Parse a message body; a body that is not a dispatch message is INVALID_MESSAGE (drop it). */
export function decodeDispatchMessage(body: string): DispatchMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  const p = parsed as { taskId?: unknown; deferrals?: unknown; waitingSince?: unknown } | undefined;
  if (
    !p ||
    typeof p.taskId !== 'string' ||
    !isTaskId(p.taskId) ||
    !wholeAtLeastZero(p.deferrals) ||
    !wholeAtLeastZero(p.waitingSince)
  )
    throw new InvalidRequestError(
      'The message is not a dispatch message.',
      undefined,
      'INVALID_MESSAGE',
    );
  return {
    taskId: p.taskId,
    ...(p.deferrals === undefined ? {} : { deferrals: p.deferrals as number }),
    ...(p.waitingSince === undefined ? {} : { waitingSince: p.waitingSince as number }),
  };
}
