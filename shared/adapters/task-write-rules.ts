/**
 * Checks every TaskRepository implementation makes before a conditional update, so the fake and the
 * DynamoDB adapter refuse the same writes.
 */

import { InvalidTransitionError } from '../domain/errors.js';
import { canTransition, type TaskStatus, TERMINAL_STATUSES } from '../domain/task.js';
import type { RemovableField, TaskChanges, WriteExpectation } from '../ports/task-repository.js';

export const expectedStatuses = (expect: WriteExpectation): readonly TaskStatus[] =>
  typeof expect.status === 'string' ? [expect.status] : expect.status;

/**
 * A status change must be allowed from every status the caller expects (staying in the same status
 * is always allowed). Removing a field that is also being set is a caller bug.
 */
export function checkUpdate(
  expect: WriteExpectation,
  changes: TaskChanges,
  remove: readonly RemovableField[],
): void {
  const from = expectedStatuses(expect);
  if (from.length === 0) throw new TypeError('expect.status must name at least one status');
  const to = changes.status;
  if (to !== undefined) {
    for (const s of from)
      if (s !== to && !canTransition(s, to)) throw new InvalidTransitionError(s, to);
  }
  for (const f of remove) {
    if (changes[f] !== undefined) throw new TypeError(`${f} cannot be both set and removed`);
  }
}

/** DynamoDB TTL (epoch seconds) of a task that just became terminal. */
export const retentionExpiry = (nowMs: number, retentionDays: number): number =>
  Math.floor(nowMs / 1000) + retentionDays * 86_400;

export const becomesTerminal = (status: TaskStatus | undefined): boolean =>
  status !== undefined && TERMINAL_STATUSES.has(status);

/** How long an idempotency claim holds: 24 hours (docs/api.md). */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;
/** Longest Idempotency-Key accepted (keeps the DynamoDB key well under its limit). */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
