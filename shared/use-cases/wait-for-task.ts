/**
 * GET /v1/tasks/{id}?wait=N&since=V: long polling for clients that cannot take webhooks. The task is
 * read again every `intervalMs` until its version is above `since` (every change bumps it: status,
 * queue position, progress, outputs) or it is finished, or `wait` seconds pass; then it is answered
 * as it is. Each waiting client costs one strongly consistent GetItem per interval and a function
 * busy (mostly idle) for up to `wait` seconds: see docs/webhooks.md for the figures.
 */
import { isTerminal, type Task } from '../domain/task.js';
import type { Clock } from '../ports/clock.js';
import type { GetTaskDeps } from './get-task.js';
import { getOwnTask } from './get-task.js';
import { toTaskView } from './task-view.js';

export interface WaitForTaskDeps extends GetTaskDeps {
  clock: Clock;
  /** How often a waiting request reads the task. @default 500 */
  longPollIntervalMs?: number;
  /** @default a real timer */
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function waitForTask(
  deps: WaitForTaskDeps,
  owner: string,
  taskId: string,
  wait: { seconds: number; since?: number },
) {
  let task: Task = await getOwnTask(deps.tasks, owner, taskId);
  const since = wait.since ?? task.version;
  const deadline = deps.clock.now() + wait.seconds * 1000;
  const interval = deps.longPollIntervalMs ?? 500;
  const sleep = deps.sleep ?? realSleep;
  while (task.version <= since && !isTerminal(task.status)) {
    const left = deadline - deps.clock.now();
    if (left <= 0) break;
    await sleep(Math.min(interval, left));
    task = await getOwnTask(deps.tasks, owner, taskId);
  }
  return toTaskView(deps, task);
}
