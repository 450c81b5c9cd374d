/**
 * A run with thousands of outputs with long names, recorded by the poller into the real DynamoDB
 * table: refused with OUTPUT_LIMIT_EXCEEDED at the documented limit (MAX_OUTPUTS_PER_TASK), or when
 * the records would not fit in the task's item, and never left retrying a DynamoDB ValidationException.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoTaskRepository } from '../../../shared/adapters/dynamodb/task-repository.js';
import { createLimiter } from '../../../shared/limiter.js';
import { logger } from '../../../shared/observability.js';
import type { PollSettings } from '../../../shared/poller/decide.js';
import type { ComfyOutputFile } from '../../../shared/ports/comfy-client.js';
import { pollTasks } from '../../../shared/use-cases/poll-tasks.js';
import { toTaskView } from '../../../shared/use-cases/task-view.js';
import { FakeComfyClient } from '../../fakes/fake-comfy-client.js';
import { FakeTaskQueue } from '../../fakes/fake-task-queue.js';
import { FixedClock } from '../../fakes/fixed-clock.js';
import { InMemoryArtifactStore } from '../../fakes/in-memory-artifact-store.js';
import { aTask } from '../../fakes/tasks.js';
import { createTestStack, type TestStack } from '../../helpers/stack.js';

const SETTINGS: Omit<PollSettings, 'maxOutputs'> = {
  maxRequeues: 2,
  runTimeoutMs: 600_000,
  queueTimeoutMs: 900_000,
  lostAfterPolls: 2,
  lostGraceMs: 0,
  copy: { maxAttempts: 3, maxMs: 600_000, retryBaseMs: 1000 },
};

let stack: TestStack;
beforeAll(async () => {
  logger.setLogLevel('SILENT');
  stack = await createTestStack();
});

/** `count` files of a long name (200 characters) in a long subfolder. */
function files(count: number): ComfyOutputFile[] {
  return Array.from({ length: count }, (_, i) => ({
    nodeId: '9',
    kind: 'images',
    filename: `${'a-rather-long-output-name-'.repeat(7)}${String(i).padStart(8, '0')}.png`.slice(
      -200,
    ),
    subfolder: 'a/long/subfolder/for/every/file',
    type: 'output',
  }));
}

async function pollOnce(count: number, maxOutputs: number) {
  const clock = new FixedClock('2026-01-01T00:00:10.000Z');
  const tasks = new DynamoTaskRepository({
    client: stack.clients.doc,
    tableName: stack.names.tasksTable,
    clock,
  });
  const comfy = new FakeComfyClient('http://comfy-a');
  const artifacts = new InMemoryArtifactStore(clock);
  const task = aTask({
    status: 'dispatched',
    comfyServer: comfy.baseUrl,
    dispatchedAt: '2026-01-01T00:00:00.500Z',
  });
  await tasks.create(task);
  const made = files(count);
  for (const f of made) comfy.addFile(f, 'x', 'image/png');
  comfy.finish(task.taskId, { outputs: made });
  const report = await pollTasks({
    tasks,
    queue: new FakeTaskQueue(clock),
    artifacts,
    clock,
    limiter: createLimiter(4),
    settings: { ...SETTINGS, maxOutputs },
    comfyFor: () => comfy,
  });
  const stored = await tasks.get(task.taskId);
  return { report, stored, artifacts, comfy };
}

describe('a run with thousands of outputs with long names', () => {
  it('is refused at MAX_OUTPUTS_PER_TASK before anything is copied: failed OUTPUT_LIMIT_EXCEEDED', async () => {
    const { report, stored, artifacts } = await pollOnce(5000, 1000);
    expect(report.tasks[0]).toMatchObject({ outcome: 'failed', code: 'OUTPUT_LIMIT_EXCEEDED' });
    expect(stored).toMatchObject({
      status: 'failed',
      outputs: [],
      error: { code: 'OUTPUT_LIMIT_EXCEEDED', details: { outputs: 5000, limit: 1000 } },
    });
    expect(artifacts.keys()).toEqual([]);
    // The caller gets a task view with the reason, not a 500.
    const view = await toTaskView({ artifacts, outputUrlTtlSeconds: 60 }, stored as never);
    expect(view.error?.code).toBe('OUTPUT_LIMIT_EXCEEDED');
  });

  it('is refused when the records would not fit in the task item, with nothing listed or left in S3', async () => {
    // Under the count limit, but 3,000 records of ~500 bytes are over DynamoDB's 400 KB.
    const { report, stored, artifacts } = await pollOnce(3000, 5000);
    expect(report.tasks[0]).toMatchObject({ outcome: 'failed', code: 'OUTPUT_LIMIT_EXCEEDED' });
    expect(stored?.status).toBe('failed');
    expect(stored?.outputs).toEqual([]);
    expect(artifacts.keys()).toEqual([]);
  }, 60_000);

  it('keeps a run just under the limits whole', async () => {
    const { report, stored } = await pollOnce(300, 1000);
    expect(report.tasks[0]?.outcome).toBe('succeeded');
    expect(stored?.outputs).toHaveLength(300);
  }, 60_000);
});
