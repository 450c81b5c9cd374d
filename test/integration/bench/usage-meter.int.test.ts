/**
 * The bench's usage meter on real SDK clients and DynamoDB Local: every client createAwsClients builds
 * is counted, each request attributed to the local function invocation that made it, with the
 * DynamoDB request units DynamoDB reports.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_SOURCE_SCOPE, UsageMeter } from '../../../bench/lib/meter.js';
import { invokeFunction, type LocalFunction } from '../../../infra/local/runtime/invoke.js';
import { type AwsClients, createAwsClients } from '../../../shared/adapters/aws/clients.js';
import { DynamoTaskRepository } from '../../../shared/adapters/dynamodb/task-repository.js';
import { SqsTaskQueue } from '../../../shared/adapters/sqs/task-queue.js';
import { aTask } from '../../fakes/tasks.js';
import { createTestStack, type TestStack } from '../../helpers/stack.js';

let stack: TestStack;
let meter: UsageMeter | undefined;
beforeAll(async () => {
  stack = await createTestStack();
});
afterEach(() => meter?.stop());

const clientsFor = (s: TestStack): AwsClients =>
  createAwsClients({
    region: 'us-east-1',
    dynamodbEndpoint: s.endpoints.dynamodb,
    sqsEndpoint: s.endpoints.sqs,
    s3Endpoint: s.endpoints.s3,
  });

describe('UsageMeter', () => {
  it('attributes each request to the invocation that made it, with its request units', async () => {
    // Prepare
    meter = new UsageMeter().start();
    const clients = clientsFor(stack);
    const tasks = new DynamoTaskRepository({
      client: clients.doc,
      tableName: stack.names.tasksTable,
    });
    const queue = new SqsTaskQueue({ client: clients.sqs, queueUrl: stack.names.queueUrl });
    const task = aTask();
    const submit: LocalFunction = {
      name: 'submit',
      timeoutMs: 10_000,
      handler: async () => {
        await tasks.create(task);
        await queue.send({ taskId: task.taskId });
      },
    };
    // Act
    await invokeFunction(submit, {}, { region: 'us-east-1' });
    await tasks.get(task.taskId);
    // Assess
    const usage = meter.snapshot();
    expect(usage.requests).toEqual([
      {
        scope: EVENT_SOURCE_SCOPE,
        service: 'DynamoDB',
        operation: 'GetItem',
        calls: 1,
        attempts: 1,
      },
      { scope: 'submit', service: 'DynamoDB', operation: 'PutItem', calls: 1, attempts: 1 },
      { scope: 'submit', service: 'SQS', operation: 'SendMessage', calls: 1, attempts: 1 },
    ]);
    const put = usage.capacity.find((c) => c.scope === 'submit' && c.operation === 'PutItem');
    // The table item plus its index entries, at 1 KB per unit.
    expect(put?.writeUnits).toBeGreaterThanOrEqual(2);
    const get = usage.capacity.find((c) => c.operation === 'GetItem');
    expect(get?.readUnits).toBeGreaterThan(0);
    expect(usage.invocations).toEqual([
      { functionName: 'submit', count: 1, ms: expect.any(Number) },
    ]);
  });

  it('counts a failed conditional write as one write unit, and stops observing when stopped', async () => {
    meter = new UsageMeter().start();
    const clients = clientsFor(stack);
    const tasks = new DynamoTaskRepository({
      client: clients.doc,
      tableName: stack.names.tasksTable,
    });
    const task = aTask();
    await tasks.create(task);
    await expect(tasks.create(task)).rejects.toThrow();
    const failed = meter.snapshot().capacity.find((c) => c.operation === 'PutItem');
    expect(failed?.failedWrites).toBe(1);
    meter.stop();
    meter.reset();
    const later = new DynamoTaskRepository({
      client: clientsFor(stack).doc,
      tableName: stack.names.tasksTable,
    });
    await later.get(task.taskId);
    expect(meter.snapshot().requests).toEqual([]);
  });
});
