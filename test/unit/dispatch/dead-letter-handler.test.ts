import { beforeAll, describe, expect, it } from 'vitest';
import { createHandler } from '../../../functions/dead-letter/handler.js';
import { DependencyUnavailableError } from '../../../shared/domain/errors.js';
import { logger } from '../../../shared/observability.js';
import { FixedClock } from '../../fakes/fixed-clock.js';
import { InMemoryTaskRepository } from '../../fakes/in-memory-task-repository.js';
import { aTask } from '../../fakes/tasks.js';
import { sqsRecord } from './sqs-fixtures.js';

const record = (taskId: string, i: number) => sqsRecord({ taskId }, { id: `m-${i}`, queue: 'dlq' });

describe('dead-letter handler', () => {
  beforeAll(() => logger.setLogLevel('SILENT'));

  it('fails a still-queued task with COMFYUI_UNAVAILABLE and leaves the others alone', async () => {
    // Prepare
    const clock = new FixedClock();
    const tasks = new InMemoryTaskRepository({ clock });
    const queued = aTask();
    const atComfy = aTask({ status: 'dispatched', comfyServer: 'http://a:8188' });
    const cancelled = aTask({ status: 'cancelled' });
    tasks.seed(queued, atComfy, cancelled);
    const metrics: string[] = [];
    const handler = createHandler({
      tasks,
      clock,
      metrics: { addMetric: (n) => void metrics.push(n), publishStoredMetrics: () => {} },
    });
    // Act
    const out = await handler({
      Records: [queued, atComfy, cancelled, aTask()].map((t, i) => record(t.taskId, i)),
    });
    // Assess
    expect(out.batchItemFailures).toEqual([]);
    const byId = new Map(tasks.all().map((t) => [t.taskId, t]));
    expect(byId.get(queued.taskId)).toMatchObject({
      status: 'failed',
      error: { code: 'COMFYUI_UNAVAILABLE' },
    });
    expect(byId.get(atComfy.taskId)?.status).toBe('dispatched');
    expect(byId.get(cancelled.taskId)?.status).toBe('cancelled');
    expect(metrics).toEqual(['TasksDeadLettered']);
  });

  it('keeps a record on the dead-letter queue when the write fails for a transient reason', async () => {
    const tasks = new InMemoryTaskRepository();
    const t = aTask();
    tasks.seed(t);
    tasks.failNext('update', new DependencyUnavailableError('throttled'));
    const handler = createHandler({
      tasks,
      clock: new FixedClock(),
      metrics: { addMetric: () => {}, publishStoredMetrics: () => {} },
    });
    const out = await handler({ Records: [record(t.taskId, 9)] });
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: 'm-9' }]);
  });
});
