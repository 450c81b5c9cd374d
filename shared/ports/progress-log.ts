/**
 * Where live progress is kept: on the task, while it is dispatched or running, without changing its
 * `version` (the state machine's writes are conditional on it) but counting `progressSeq`, so a
 * long-polling reader still sees a change. Returns the task as written, or undefined when it is no
 * longer at ComfyUI (finished, re-queued) or gone.
 */
import type { Task, TaskProgress } from '../domain/task.js';

export interface ProgressLog {
  recordProgress(taskId: string, progress: TaskProgress): Promise<Task | undefined>;
}
