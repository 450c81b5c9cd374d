import { TaskNotFoundError } from '../domain/errors.js';
import type { Task } from '../domain/task.js';
import type { TaskView } from '../http/schemas.js';
import type { TaskRepository } from '../ports/task-repository.js';
import { type TaskViewDeps, toTaskView } from './task-view.js';

/**
 * The caller's own task. Another owner's task is TaskNotFoundError, exactly like an unknown id, so
 * ids reveal nothing about other tenants.
 */
export async function getOwnTask(tasks: TaskRepository, owner: string, taskId: string) {
  const task: Task | undefined = await tasks.get(taskId);
  if (!task || task.owner !== owner) throw new TaskNotFoundError(taskId);
  return task;
}

export type GetTaskDeps = TaskViewDeps & { tasks: TaskRepository };

/** GET /v1/tasks/{taskId}. */
export async function getTask(deps: GetTaskDeps, owner: string, taskId: string): Promise<TaskView> {
  return toTaskView(deps, await getOwnTask(deps.tasks, owner, taskId));
}
