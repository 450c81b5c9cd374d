import { type ApiObservability, apiHandler } from '../../shared/http/api-handler.js';
import { parseInput } from '../../shared/http/request.js';
import { json } from '../../shared/http/responses.js';
import { TaskPath } from '../../shared/http/schemas.js';
import { type GetTaskDeps, getTask } from '../../shared/use-cases/get-task.js';

export type StatusHandlerDeps = GetTaskDeps & { obs: ApiObservability };

/** GET /v1/tasks/{taskId} -> 200 TaskView. */
export const createHandler = (deps: StatusHandlerDeps) =>
  apiHandler(deps.obs, {}, async ({ event, owner }) => {
    const { taskId } = parseInput(TaskPath, event.pathParameters ?? {}, 'path', {
      code: 'INVALID_TASK_ID',
    });
    deps.obs.logger.appendKeys({ taskId });
    return json(200, await getTask(deps, owner, taskId));
  });
