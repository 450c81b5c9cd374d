import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { type ApiObservability, apiHandler } from '../../shared/http/api-handler.js';
import { resolveOwnerLimits } from '../../shared/http/owner.js';
import { canonicalJson, idempotencyKey, sha256Hex } from '../../shared/http/request.js';
import { json } from '../../shared/http/responses.js';
import { parseSubmitRequest } from '../../shared/http/submit-request.js';
import { TASK_METRICS } from '../../shared/telemetry-names.js';
import { type SubmitTaskDeps, submitTask } from '../../shared/use-cases/submit-task.js';

export type SubmitHandlerDeps = SubmitTaskDeps & { obs: ApiObservability };

/** POST /v1/tasks -> 202 { taskId, status, createdAt }. */
export const createHandler = (deps: SubmitHandlerDeps) =>
  apiHandler(deps.obs, { jsonBody: true }, async ({ event, owner, body }) => {
    const key = idempotencyKey(event);
    const request = parseSubmitRequest(body);
    const idempotency = key ? { key, bodyHash: sha256Hex(canonicalJson(body)) } : undefined;
    const limits = resolveOwnerLimits(event);
    const { task, created } = await submitTask(deps, {
      owner,
      ...request,
      idempotency,
      ...(limits ? { limits } : {}),
    });
    deps.obs.logger.appendKeys({ taskId: task.taskId });
    deps.obs.logger.info('task submitted', { created, template: task.template });
    if (created) deps.obs.metrics?.addMetric(TASK_METRICS.submitted, MetricUnit.Count, 1);
    return json(202, { taskId: task.taskId, status: task.status, createdAt: task.createdAt });
  });
