/**
 * Removes objects under a task's output prefix that its record does not list. A run ComfyUI lost (a
 * restart) may have been copied in part before the loss; its re-run writes files under new names
 * (ComfyUI's counter moved on), so the first run's objects would stay behind, unlisted, for the
 * bucket's lifecycle rule to expire. The poller calls this once its conditional write has fixed the
 * task's outputs, only for tasks that ran more than once. Best effort: a failure is logged only.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { keys } from '../../infra/resources.js';
import { ownerSegment } from '../domain/owner.js';
import type { ArtifactStore } from '../ports/artifact-store.js';

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
