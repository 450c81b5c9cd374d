/** The fleet's backlog read from the emulators: dispatch queue messages and tasks at ComfyUI. */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { AwsBacklogCounter } from '../../../shared/adapters/aws/backlog-counter.js';
import { DynamoTaskRepository } from '../../../shared/adapters/dynamodb/task-repository.js';
import { SqsTaskQueue } from '../../../shared/adapters/sqs/task-queue.js';
import { FixedClock } from '../../fakes/fixed-clock.js';
import { aTask } from '../../fakes/tasks.js';
import { createTestStack, type TestStack } from '../../helpers/stack.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack();
});

describe('AwsBacklogCounter', () => {
  it('counts queued messages (visible and delayed) and tasks at ComfyUI', async () => {
    const counter = new AwsBacklogCounter({
      sqs: stack.clients.sqs,
      queueUrl: stack.names.queueUrl,
      doc: stack.clients.doc,
      tableName: stack.names.tasksTable,
    });
    expect(await counter.backlog()).toEqual({ queued: 0, atComfy: 0 });

    const queue = new SqsTaskQueue({ client: stack.clients.sqs, queueUrl: stack.names.queueUrl });
    await queue.send({ taskId: randomUUID() });
    await queue.send({ taskId: randomUUID() }, 30);
    const repo = new DynamoTaskRepository({
      client: stack.clients.doc,
      tableName: stack.names.tasksTable,
      clock: new FixedClock(),
    });
    for (const status of ['dispatched', 'running', 'succeeded', 'queued'] as const) {
      await repo.create(aTask({ taskId: randomUUID(), status }));
    }
    expect(await counter.backlog()).toEqual({ queued: 2, atComfy: 2 });
  });
});
