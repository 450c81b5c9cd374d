/**
 * The opaque cursor of `TaskRepository.listByOwner`, shared by the DynamoDB adapter and the in-memory
 * fake so both accept and reject exactly the same cursors.
 *
 * Format: base64url of `{"v":1,"o":<owner tag>,"s":<status filter or "">,"c":<createdAt>,"t":<taskId>}`,
 * where the owner tag is a truncated sha256 of the owner. A cursor made for another owner or filter,
 * or a malformed one, is rejected with INVALID_CURSOR. Forging one gains nothing: the adapter builds
 * the DynamoDB start key from the CALLER's owner, so a cursor only ever picks a position inside the
 * caller's own partition.
 */
import { createHash } from 'node:crypto';
import { InvalidRequestError } from '../domain/errors.js';
import { isTaskId } from '../domain/ids.js';
import type { TaskStatus } from '../domain/task.js';

/** The position after which the next page starts (the last item of the previous page). */
export interface CursorPosition {
  createdAt: string;
  taskId: string;
}

const ownerTag = (owner: string) =>
  createHash('sha256').update(owner).digest('base64url').slice(0, 22);

const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const MAX_CURSOR_LENGTH = 512;

export function encodeListCursor(
  owner: string,
  status: TaskStatus | undefined,
  at: CursorPosition,
): string {
  const payload = { v: 1, o: ownerTag(owner), s: status ?? '', c: at.createdAt, t: at.taskId };
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

const invalid = (why: string) =>
  new InvalidRequestError(
    `The cursor is not valid for this listing (${why}); start again without a cursor.`,
    undefined,
    'INVALID_CURSOR',
  );

/** Decode and check a cursor against the caller and filter; throws INVALID_CURSOR. */
export function decodeListCursor(
  cursor: string,
  owner: string,
  status: TaskStatus | undefined,
): CursorPosition {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor))
    throw invalid('malformed');
  let p: unknown;
  try {
    p = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid('malformed');
  }
  if (typeof p !== 'object' || p === null) throw invalid('malformed');
  const { v, o, s, c, t } = p as Record<string, unknown>;
  if (v !== 1 || typeof c !== 'string' || typeof t !== 'string' || !ISO_RE.test(c) || !isTaskId(t))
    throw invalid('malformed');
  if (o !== ownerTag(owner)) throw invalid('made for another caller');
  if (s !== (status ?? '')) throw invalid('made for another status filter');
  return { createdAt: c, taskId: t };
}

/** Sort key of the owner indexes: ISO time then task id, so equal times still order stably. */
export const createdSortKey = (at: CursorPosition) => `${at.createdAt}#${at.taskId}`;
