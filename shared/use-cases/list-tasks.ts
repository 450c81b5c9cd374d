import { InvalidRequestError } from '../domain/errors.js';
import type { TaskStatus } from '../domain/task.js';
import type { TaskView } from '../http/schemas.js';
import type { TaskRepository } from '../ports/task-repository.js';
import { type TaskViewDeps, toTaskView } from './task-view.js';

export type ListTasksDeps = TaskViewDeps & { tasks: TaskRepository };

export interface ListTasksInput {
  owner: string;
  status?: TaskStatus;
  limit: number;
  cursor?: string;
}

/**
 * GET /v1/tasks: the caller's tasks, newest first. The repository rejects a cursor made for another
 * owner or filter; that, like any cursor it cannot read, is INVALID_CURSOR.
 */
export async function listTasks(
  deps: ListTasksDeps,
  input: ListTasksInput,
): Promise<{ items: TaskView[]; nextCursor?: string }> {
  let page: Awaited<ReturnType<TaskRepository['listByOwner']>>;
  try {
    page = await deps.tasks.listByOwner(input);
  } catch (err) {
    if (err instanceof InvalidRequestError && input.cursor !== undefined) {
      throw new InvalidRequestError(
        'The cursor is not valid for this list; use nextCursor from the previous page unchanged, with the same status filter.',
        { issues: [{ path: ['query', 'cursor'], message: 'invalid cursor' }] },
        'INVALID_CURSOR',
      );
    }
    throw err;
  }
  const items = await Promise.all(page.items.map((t) => toTaskView(deps, t)));
  return page.nextCursor ? { items, nextCursor: page.nextCursor } : { items };
}
