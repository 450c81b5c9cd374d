import { describe, expect, it } from 'vitest';
import { createHandler } from '../../../functions/cancel/handler.js';
import type { TaskStatus } from '../../../shared/domain/task.js';
import { aTask } from '../../fakes/tasks.js';
import { apiTestDeps } from '../../helpers/api-deps.js';
import { apiEvent, bodyOf, lambdaContext } from '../../helpers/api-events.js';

function setup() {
  const deps = apiTestDeps();
  const cancel = (taskId: string, owner = 'alice') =>
    createHandler(deps)(
      apiEvent({
        method: 'POST',
        path: `/v1/tasks/${taskId}/cancel`,
        pathParameters: { taskId },
        owner,
      }),
      lambdaContext(),
    );
  return { deps, cancel };
}

describe('POST /v1/tasks/{taskId}/cancel', () => {
  it('cancels a queued task at once (200), so it is never dispatched', async () => {
    // Prepare
    const { deps, cancel } = setup();
    const task = aTask({ status: 'queued' });
    deps.tasks.seed(task);
    // Act
    const res = await cancel(task.taskId);
    // Assess
    expect(res.statusCode).toBe(200);
    expect(bodyOf(res)).toMatchObject({
      taskId: task.taskId,
      status: 'cancelled',
      finishedAt: deps.clock.iso(),
      error: { code: 'CANCELLED' },
    });
    expect((await deps.tasks.get(task.taskId))?.status).toBe('cancelled');
  });

  it.each<TaskStatus>(['dispatched', 'running'])(
    'marks a %s task for cancellation at ComfyUI (202), once',
    async (status) => {
      const { deps, cancel } = setup();
      const task = aTask({ status });
      deps.tasks.seed(task);
      const first = await cancel(task.taskId);
      const again = await cancel(task.taskId);
      expect(first.statusCode).toBe(202);
      expect(bodyOf(first)).toMatchObject({ status, cancelRequested: true });
      expect(again.statusCode).toBe(202);
      expect(deps.tasks.calls.update).toBe(1);
    },
  );

  it('is a no-op on a cancelled task (200, nothing written)', async () => {
    const { deps, cancel } = setup();
    const task = aTask({ status: 'cancelled' });
    deps.tasks.seed(task);
    const res = await cancel(task.taskId);
    expect(res.statusCode).toBe(200);
    expect(bodyOf(res).status).toBe('cancelled');
    expect(deps.tasks.calls.update).toBe(0);
  });

  it.each<TaskStatus>(['succeeded', 'failed'])(
    'answers 409 TASK_NOT_CANCELLABLE for a %s task',
    async (status) => {
      const { deps, cancel } = setup();
      const task = aTask({ status });
      deps.tasks.seed(task);
      const res = await cancel(task.taskId);
      expect(res.statusCode).toBe(409);
      expect(bodyOf(res).error.code).toBe('TASK_NOT_CANCELLABLE');
      expect(deps.tasks.calls.update).toBe(0);
    },
  );

  it('decides again when the dispatcher moved the task meanwhile', async () => {
    // Prepare: the cancel reads the task queued, but the dispatcher has dispatched it since.
    const deps = apiTestDeps();
    const stale = aTask({ status: 'queued' });
    deps.tasks.seed({ ...stale, status: 'dispatched', version: stale.version + 1 });
    let reads = 0;
    const tasks = Object.assign(Object.create(deps.tasks), {
      get: async (id: string) => (reads++ === 0 ? structuredClone(stale) : deps.tasks.get(id)),
    });
    const handler = createHandler({ ...deps, tasks });
    // Act
    const res = await handler(
      apiEvent({ method: 'POST', pathParameters: { taskId: stale.taskId } }),
      lambdaContext(),
    );
    // Assess
    expect(res.statusCode).toBe(202);
    expect(bodyOf(res)).toMatchObject({ status: 'dispatched', cancelRequested: true });
    expect(reads).toBe(2);
  });

  it("answers another owner's task exactly like an unknown one, and bad ids with 400", async () => {
    const { deps, cancel } = setup();
    const task = aTask({ owner: 'bob' });
    deps.tasks.seed(task);
    expect((await cancel(task.taskId, 'alice')).statusCode).toBe(404);
    expect((await deps.tasks.get(task.taskId))?.status).toBe('queued');
    expect(bodyOf(await cancel('nope')).error.code).toBe('INVALID_TASK_ID');
  });
});
