import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, inject, it } from 'vitest';
import { bootstrapLocalResources } from '../../../infra/local/bootstrap.js';
import { startS3Sqs } from '../../../infra/local/emulators.js';
import {
  loadSnapshot,
  type SnapshotTarget,
  saveSnapshot,
} from '../../../infra/local/start/persistence.js';
import { createAwsClients } from '../../../shared/adapters/aws/clients.js';
import { DISPATCH_DLQ, DISPATCH_QUEUE } from '../../../shared/resources.js';

async function freshS3Sqs() {
  const fauxqs = await startS3Sqs();
  const clients = createAwsClients({
    region: 'us-east-1',
    dynamodbEndpoint: inject('dynamodbEndpoint'),
    sqsEndpoint: fauxqs.endpoint,
    s3Endpoint: fauxqs.endpoint,
  });
  const names = await bootstrapLocalResources(clients);
  const target: SnapshotTarget = {
    s3: clients.s3,
    sqs: clients.sqs,
    fauxqs: fauxqs.server,
    bucket: names.bucket,
    queues: { [DISPATCH_QUEUE.localName]: names.queueUrl, [DISPATCH_DLQ.localName]: names.dlqUrl },
  };
  return { fauxqs, target, names };
}

describe('--persist snapshot of fauxqs (S3 objects and queue messages)', () => {
  it('brings objects and messages (ready and in flight) back in a new fauxqs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'persist-'));
    const first = await freshS3Sqs();
    const png = Buffer.from([137, 80, 78, 71, 1, 2, 3]);
    await first.target.s3.send(
      new PutObjectCommand({
        Bucket: first.names.bucket,
        Key: 'outputs/o/t/9/a.png',
        Body: png,
        ContentType: 'image/png',
      }),
    );
    await first.target.sqs.send(
      new SendMessageCommand({
        QueueUrl: first.names.queueUrl,
        MessageBody: '{"taskId":"t1"}',
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'dispatch' } },
      }),
    );
    await first.target.sqs.send(
      new SendMessageCommand({ QueueUrl: first.names.queueUrl, MessageBody: '{"taskId":"t2"}' }),
    );
    await first.target.sqs.send(
      new SendMessageCommand({ QueueUrl: first.names.dlqUrl, MessageBody: '{"taskId":"t3"}' }),
    );
    // One message in flight when the snapshot is taken.
    await first.target.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: first.names.dlqUrl, VisibilityTimeout: 600 }),
    );
    expect(await saveSnapshot(dir, first.target)).toEqual({ objects: 1, messages: 3 });
    await first.fauxqs.stop();

    const second = await freshS3Sqs();
    expect(await loadSnapshot(dir, second.target)).toEqual({ objects: 1, messages: 3 });
    const got = await second.target.s3.send(
      new GetObjectCommand({ Bucket: second.names.bucket, Key: 'outputs/o/t/9/a.png' }),
    );
    expect(Buffer.from((await got.Body?.transformToByteArray()) ?? [])).toEqual(png);
    expect(got.ContentType).toBe('image/png');
    const q = await second.target.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: second.names.queueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
      }),
    );
    expect(q.Messages?.map((m) => m.Body).sort()).toEqual(['{"taskId":"t1"}', '{"taskId":"t2"}']);
    expect(
      q.Messages?.find((m) => m.Body?.includes('t1'))?.MessageAttributes?.kind?.StringValue,
    ).toBe('dispatch');
    const d = await second.target.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: second.names.dlqUrl }),
    );
    expect(d.Messages?.[0]?.Body).toBe('{"taskId":"t3"}');
    // Loaded messages are not loaded twice.
    expect((await loadSnapshot(dir, second.target)).messages).toBe(0);
    await second.fauxqs.stop();
  });
});
