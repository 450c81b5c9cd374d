/** What one poll did, per task: the handler turns it into metrics; tests assert on it. */

export type TaskOutcome =
  /** Seen where we expected it; nothing to write. */
  | 'unchanged'
  /** Queue position, running/startedAt or the missing counter written. */
  | 'tracked'
  /** Cancel requested: the dequeue/interrupt was sent; `cancelled` follows once ComfyUI confirms. */
  | 'cancel-sent'
  | 'succeeded'
  | 'failed'
  | 'cancelled'
  /** Neither queued nor in history this poll; counted. */
  | 'missing'
  /** Lost by ComfyUI and sent back to SQS. */
  | 'requeued'
  /** A conditional write lost (another poller or a cancel request was first); retried next poll. */
  | 'conflict'
  /** ComfyUI did not answer; nothing changed. */
  | 'unreachable'
  /** Anything else went wrong (e.g. a copy failed half-way); nothing changed, retried next poll. */
  | 'error';

export interface TaskReport {
  taskId: string;
  server: string;
  outcome: TaskOutcome;
  /** The failure code for `failed`, or the error code for `error`. */
  code?: string;
  /** Submission (createdAt) to the start of execution: SQS wait plus ComfyUI queue wait. */
  queueWaitMs?: number;
  /** Start to end of execution, by ComfyUI's own timestamps. */
  runTimeMs?: number;
  /** Copying every output to the artifact store. */
  copyTimeMs?: number;
  /** ComfyUI finishing (its timestamp) to our `succeeded` write. */
  resultLagMs?: number;
  /** The longest time since this task's state was last looked at (previous poll or its dispatch). */
  staleMs?: number;
}

export interface PollReport {
  /** Tasks the sparse index returned (dispatched or running). */
  active: number;
  /** Servers polled and whether their `/queue` answered. */
  servers: { url: string; reachable: boolean }[];
  tasks: TaskReport[];
}
