/** DynamoUploadStore on DynamoDB Local: the shared contract and what only the table shows. */
import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoUploadStore } from '../../../shared/adapters/dynamodb/upload-store.js';
import { uploadStoreContract } from '../../contract/upload-store.contract.js';
import { createTestStack, type TestStack } from '../../helpers/stack.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack();
});
const store = () =>
  new DynamoUploadStore({ client: stack.clients.doc, tableName: stack.names.tasksTable });

describe('DynamoUploadStore meets the UploadStore contract', () => {
  uploadStoreContract(async () => store());
});

describe('DynamoUploadStore items', () => {
  it('carry a TTL in epoch seconds at the upload expiry', async () => {
    const uploadId = randomUUID();
    await store().put({
      uploadId,
      owner: 'alice',
      s3Key: `uploads/alice/${uploadId}`,
      filename: 'a.png',
      contentType: 'image/png',
      size: 1,
      createdAt: '2026-01-01T00:00:00.000Z',
      expiresAt: '2026-01-02T00:00:00.500Z',
    });
    const item = await stack.clients.doc.send(
      new GetCommand({ TableName: stack.names.tasksTable, Key: { pk: `UPLOAD#${uploadId}` } }),
    );
    expect(item.Item?.expiresAt).toBe(Date.parse('2026-01-02T00:00:01.000Z') / 1000);
  });
});
