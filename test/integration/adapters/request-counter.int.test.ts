/** RequestCounter on real SDK clients talking to the emulators. */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../../shared/adapters/aws/clients.js';
import { RequestCounter } from '../../../shared/adapters/aws/request-counter.js';
import { DynamoTaskRepository } from '../../../shared/adapters/dynamodb/task-repository.js';
import { SqsTaskQueue } from '../../../shared/adapters/sqs/task-queue.js';
import { aTask } from '../../fakes/tasks.js';
import { createTestStack, type TestStack } from '../../helpers/stack.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack();
});

describe('RequestCounter', () => {
  it('counts calls per service and operation, through the document client too', async () => {
    const clients = createAwsClients({
      region: 'us-east-1',
      dynamodbEndpoint: stack.endpoints.dynamodb,
      sqsEndpoint: stack.endpoints.sqs,
    });
    const counter = new RequestCounter().attach(clients.dynamodb).attach(clients.sqs);
    counter.attach(clients.dynamodb);
    const repo = new DynamoTaskRepository({
      client: clients.doc,
      tableName: stack.names.tasksTable,
    });
    const t = aTask();
    await repo.create(t);
    await repo.get(t.taskId);
    await repo.get(t.taskId);
    await new SqsTaskQueue({ client: clients.sqs, queueUrl: stack.names.queueUrl }).send({
      taskId: t.taskId,
    });
    expect(counter.snapshot()).toEqual([
      { service: 'DynamoDB', operation: 'GetItem', calls: 2, attempts: 2 },
      { service: 'DynamoDB', operation: 'PutItem', calls: 1, attempts: 1 },
      { service: 'SQS', operation: 'SendMessage', calls: 1, attempts: 1 },
    ]);
    expect(counter.total('DynamoDB')).toBe(3);
    counter.reset();
    expect(counter.total()).toBe(0);
  });

  it('counts each retry as an attempt of the same call', async () => {
    const client = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9',
      maxAttempts: 2,
      retryStrategy: undefined,
    });
    const counter = new RequestCounter().attach(client);
    await expect(
      DynamoDBDocumentClient.from(client).send(
        new GetCommand({ TableName: 't', Key: { pk: randomUUID() } }),
      ),
    ).rejects.toThrow();
    expect(counter.snapshot()).toEqual([
      { service: 'DynamoDB', operation: 'GetItem', calls: 1, attempts: 2 },
    ]);
    client.destroy();
  });
});
