import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { type ApiObservability, apiHandler } from '../../shared/http/api-handler.js';
import { parseInput } from '../../shared/http/request.js';
import { TaskPath } from '../../shared/http/request-schemas.js';
import { json } from '../../shared/http/responses.js';
import { TASK_METRICS } from '../../shared/telemetry-names.js';
import { type CancelTaskDeps, cancelTask } from '../../shared/use-cases/cancel-task.js';
import { type TaskViewDeps, toTaskView } from '../../shared/use-cases/task-view.js';

export type CancelHandlerDeps = CancelTaskDeps & TaskViewDeps & { obs: ApiObservability };

/** POST /v1/tasks/{taskId}/cancel -> 200 (cancelled) or 202 (being cancelled at ComfyUI). */
export const createHandler = (deps: CancelHandlerDeps) =>
  apiHandler(deps.obs, {}, async ({ event, owner }) => {
    const { taskId } = parseInput(TaskPath, event.pathParameters ?? {}, 'path', {
      code: 'INVALID_TASK_ID',
    });
    deps.obs.logger.appendKeys({ taskId });
    const { task, outcome } = await cancelTask(deps, owner, taskId);
    deps.obs.logger.info('task cancel handled', { outcome });
    if (outcome === 'cancelled')
      deps.obs.metrics?.addMetric(TASK_METRICS.cancelled, MetricUnit.Count, 1);
    return json(outcome === 'cancel-requested' ? 202 : 200, await toTaskView(deps, task));
  });
