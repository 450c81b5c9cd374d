/**
 * The submit function killed between storing a task and sending its dispatch message: the submit
 * use-case's fault-injection point (`afterStore`) throws for a seeded share of new tasks while the
 * faults are on, so the task is stored `queued` with no message and the caller gets a 500. The
 * caller retries with the same Idempotency-Key and gets the stored task back (its message is not
 * re-sent: it looks sent); only the sweeper can end such a task.
 */
import type { Task } from '../../../shared/domain/task.js';

export interface SubmitKills {
  enabled: boolean;
  /** Task ids whose submit was killed. */
  readonly tasks: Set<string>;
  afterStore(task: Task): Promise<void>;
}

export function submitKills(opts: { share: number; random: () => number }): SubmitKills {
  const kills: SubmitKills = {
    enabled: true,
    tasks: new Set(),
    async afterStore(task) {
      if (!kills.enabled || opts.random() >= opts.share) return;
      kills.tasks.add(task.taskId);
      throw new Error('submit killed between storing the task and sending its message (injected)');
    },
  };
  return kills;
}
