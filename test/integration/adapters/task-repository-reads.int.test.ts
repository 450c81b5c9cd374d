/** DynamoTaskRepository sends no request it can do without (counted with RequestCounter). */
import { beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../../shared/adapters/aws/clients.js';
import { RequestCounter } from '../../../shared/adapters/aws/request-counter.js';
import { DynamoTaskRepository } from '../../../shared/adapters/dynamodb/task-repository.js';
import { aTask } from '../../fakes/tasks.js';
import { createTestStack, type TestStack } from '../../helpers/stack.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack();
});

const repository = () => {
  const clients = createAwsClients({
    region: 'us-east-1',
    dynamodbEndpoint: stack.endpoints.dynamodb,
  });
  const counter = new RequestCounter().attach(clients.dynamodb);
  return {
    counter,
    repo: new DynamoTaskRepository({ client: clients.doc, tableName: stack.names.tasksTable }),
  };
};

describe('DynamoTaskRepository reads', () => {
  it('changes the status of a task it listed at ComfyUI without reading its owner first', async () => {
    // Prepare: another container (the dispatcher) created and dispatched the task.
    const dispatcher = repository().repo;
    const task = aTask({ status: 'dispatched', comfyServer: 'http://127.0.0.1:8188' });
    await dispatcher.create(task);
    const { repo: poller, counter } = repository();
    // Act
    const listed = (await poller.listAtComfy()).find((t) => t.taskId === task.taskId);
    await poller.update(
      task.taskId,
      { status: 'dispatched', version: listed?.version ?? 0 },
      { status: 'running' },
    );
    // Assess
    expect(listed?.owner).toBe(task.owner);
    expect(counter.snapshot().map((c) => `${c.operation} ${c.calls}`)).toEqual([
      'Query 1',
      'UpdateItem 1',
    ]);
    expect((await poller.get(task.taskId))?.status).toBe('running');
  });

  it('reads the owner once before the first status change of a task it never saw', async () => {
    const task = aTask({ status: 'dispatched', comfyServer: 'http://127.0.0.1:8188' });
    await repository().repo.create(task);
    const { repo, counter } = repository();
    await repo.update(task.taskId, { status: 'dispatched', version: 1 }, { status: 'running' });
    await repo.update(task.taskId, { status: 'running', version: 2 }, { status: 'succeeded' });
    expect(counter.snapshot().map((c) => `${c.operation} ${c.calls}`)).toEqual([
      'GetItem 1',
      'UpdateItem 2',
    ]);
  });
});
