import { type ApiObservability, apiHandler } from '../../shared/http/api-handler.js';
import { parseInput } from '../../shared/http/request.js';
import { GetTaskQuery, TaskPath } from '../../shared/http/request-schemas.js';
import { json } from '../../shared/http/responses.js';
import { type GetTaskDeps, getTask } from '../../shared/use-cases/get-task.js';
import { type WaitForTaskDeps, waitForTask } from '../../shared/use-cases/wait-for-task.js';

export type StatusHandlerDeps = GetTaskDeps &
  Partial<Omit<WaitForTaskDeps, keyof GetTaskDeps>> &
  Pick<WaitForTaskDeps, 'clock'> & { obs: ApiObservability };

/** GET /v1/tasks/{taskId}[?wait=N&since=V] -> 200 TaskView. */
export const createHandler = (deps: StatusHandlerDeps) =>
  apiHandler(deps.obs, {}, async ({ event, owner }) => {
    const { taskId } = parseInput(TaskPath, event.pathParameters ?? {}, 'path', {
      code: 'INVALID_TASK_ID',
    });
    const query = parseInput(GetTaskQuery, event.queryStringParameters ?? {}, 'query');
    deps.obs.logger.appendKeys({ taskId });
    if (!query.wait) return json(200, await getTask(deps, owner, taskId));
    const wait = {
      seconds: query.wait,
      ...(query.since !== undefined ? { since: query.since } : {}),
    };
    return json(200, await waitForTask(deps, owner, taskId, wait));
  });
