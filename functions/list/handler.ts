import { type ApiObservability, apiHandler } from '../../shared/http/api-handler.js';
import { parseInput } from '../../shared/http/request.js';
import { ListTasksQuery } from '../../shared/http/request-schemas.js';
import { json } from '../../shared/http/responses.js';
import { type ListTasksDeps, listTasks } from '../../shared/use-cases/list-tasks.js';

export type ListHandlerDeps = ListTasksDeps & { obs: ApiObservability };

/** GET /v1/tasks?status=&limit=&cursor= -> 200 { items, nextCursor? }. */
export const createHandler = (deps: ListHandlerDeps) =>
  apiHandler(deps.obs, {}, async ({ event, owner }) => {
    const query = parseInput(ListTasksQuery, event.queryStringParameters ?? {}, 'query', {
      codeFor: { cursor: 'INVALID_CURSOR' },
    });
    return json(200, await listTasks(deps, { owner, ...query }));
  });
