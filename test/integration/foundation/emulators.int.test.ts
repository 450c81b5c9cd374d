import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { TASKS_TABLE } from '../../../shared/resources.js';
import { createTestStack, type TestStack } from '../../helpers/stack.js';

describe('local resources from the one description', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await createTestStack();
  });

  it('creates the tasks table with every index the description names', async () => {
    const out = await stack.clients.dynamodb.send(
      new DescribeTableCommand({ TableName: stack.names.tasksTable }),
    );
    const names = (out.Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName).sort();
    expect(names).toEqual(TASKS_TABLE.indexes.map((i) => i.name).sort());
  });

  it('creates the dispatch queue with a redrive policy to its dead-letter queue', async () => {
    const out = await stack.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: stack.names.queueUrl, AttributeNames: ['All'] }),
    );
    const redrive = JSON.parse(out.Attributes?.RedrivePolicy ?? '{}');
    expect(redrive.deadLetterTargetArn).toBe(stack.names.dlqArn);
  });

  it('creates a bucket that stores and returns objects', async () => {
    await stack.clients.s3.send(
      new PutObjectCommand({ Bucket: stack.names.bucket, Key: 'k', Body: 'hello' }),
    );
    const got = await stack.clients.s3.send(
      new GetObjectCommand({ Bucket: stack.names.bucket, Key: 'k' }),
    );
    expect(await got.Body?.transformToString()).toBe('hello');
  });
});
