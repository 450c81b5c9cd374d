/**
 * Removes objects under a task's output prefix that its record does not list. They come from copies
 * that did not end in a recorded success: a run ComfyUI lost (a restart) after it was copied in part,
 * whose re-run writes files under new names (ComfyUI's counter moved on); a copy under way when the
 * task was cancelled or failed; a copy by a poller that lost the race to end the task. The poller
 * calls this once a write has fixed the task's outputs (a success of a task that ran more than once:
 * keep its outputs; a re-queue, a failure or a cancel: keep none). Best effort: a failure is only
 * logged, and the bucket's lifecycle rule expires what is left.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { ownerSegment } from '../domain/owner.js';
import type { ArtifactStore } from '../ports/artifact-store.js';
import { keys } from '../resources.js';

/** A task logger (Powertools `Logger` or its child). */
export type SweepLog = Pick<Logger, 'info' | 'warn'>;

export async function sweepOutputs(
  artifacts: Pick<ArtifactStore, 'list' | 'delete'>,
  task: { owner: string; taskId: string },
  keep: readonly string[],
  log: SweepLog,
): Promise<number> {
  const prefix = keys.outputPrefix(ownerSegment(task.owner), task.taskId);
  const wanted = new Set(keep);
  try {
    const stale = (await artifacts.list(prefix)).filter((k) => !wanted.has(k));
    for (const key of stale) await artifacts.delete(key);
    if (stale.length > 0)
      log.info('stale outputs of an earlier run removed', { removed: stale.length });
    return stale.length;
  } catch (err) {
    log.warn('stale outputs not removed; the lifecycle rule will expire them', {
      error: String(err),
    });
    return 0;
  }
}
