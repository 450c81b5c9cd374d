import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LocalFunction } from '../../../infra/local/runtime/invoke.js';
import { type BatchOutcome, startSqsEventSource } from '../../../infra/local/sqs-event-source.js';
import { createTestStack, type TestStack } from '../../helpers/stack.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack();
});

let n = 0;
async function freshQueue(attrs: Record<string, string> = {}) {
  const name = `esm-${Date.now()}-${n++}`;
  const { QueueUrl } = await stack.clients.sqs.send(
    new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '1', ...attrs } }),
  );
  const a = await stack.clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  return { url: QueueUrl as string, arn: a.Attributes?.QueueArn as string };
}
const send = (url: string, body: string) =>
  stack.clients.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
const until = async (cond: () => boolean, ms = 15_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};
const fn = (handler: (e: SQSEvent) => Promise<SQSBatchResponse | undefined>): LocalFunction => ({
  name: 'dispatcher',
  handler,
  timeoutMs: 5000,
});
const remaining = async (url: string) => {
  const a = await stack.clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(a.Attributes?.ApproximateNumberOfMessages) +
    Number(a.Attributes?.ApproximateNumberOfMessagesNotVisible)
  );
};

describe('SQS event source mapping', () => {
  it('delivers SQSEvent batches with Lambda record fields and deletes successful messages', async () => {
    const q = await freshQueue();
    const seen: SQSEvent['Records'] = [];
    const es = startSqsEventSource({
      sqs: stack.clients.sqs,
      queueUrl: q.url,
      queueArn: q.arn,
      region: 'us-east-1',
      waitTimeSeconds: 1,
      fn: fn(async (e) => {
        seen.push(...e.Records);
        return { batchItemFailures: [] };
      }),
    });
    await Promise.all(['a', 'b', 'c'].map((b) => send(q.url, b)));
    await until(() => seen.length === 3);
    await es.stop();
    expect(seen.map((r) => r.body).sort()).toEqual(['a', 'b', 'c']);
    expect(seen[0]).toMatchObject({
      eventSource: 'aws:sqs',
      eventSourceARN: q.arn,
      awsRegion: 'us-east-1',
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: expect.stringMatching(/^\d+$/) },
    });
    expect(await remaining(q.url)).toBe(0);
  });

  it('leaves batchItemFailures to reappear after the visibility timeout, with a higher receive count', async () => {
    const q = await freshQueue();
    const receives: Record<string, string[]> = {};
    const es = startSqsEventSource({
      sqs: stack.clients.sqs,
      queueUrl: q.url,
      queueArn: q.arn,
      region: 'us-east-1',
      waitTimeSeconds: 1,
      fn: fn(async (e) => {
        const failures = [];
        for (const r of e.Records) {
          receives[r.body] ??= [];
          const counts = receives[r.body] as string[];
          counts.push(r.attributes.ApproximateReceiveCount);
          if (r.body === 'flaky' && counts.length < 2)
            failures.push({ itemIdentifier: r.messageId });
        }
        return { batchItemFailures: failures };
      }),
    });
    await send(q.url, 'fine');
    await send(q.url, 'flaky');
    await until(() => (receives.flaky?.length ?? 0) >= 2);
    await es.stop();
    expect(receives.fine).toEqual(['1']);
    expect(receives.flaky).toEqual(['1', '2']);
    expect(await remaining(q.url)).toBe(0);
  });

  it('treats a thrown error as a whole-batch failure: nothing is deleted', async () => {
    const q = await freshQueue();
    const outcomes: BatchOutcome[] = [];
    let calls = 0;
    const es = startSqsEventSource({
      sqs: stack.clients.sqs,
      queueUrl: q.url,
      queueArn: q.arn,
      region: 'us-east-1',
      waitTimeSeconds: 1,
      maxConcurrency: 1,
      fn: fn(async () => {
        calls++;
        if (calls === 1) throw new Error('crash');
        return undefined;
      }),
      onBatch: (o) => outcomes.push(o),
    });
    await send(q.url, 'x');
    await until(() => calls >= 2);
    await es.stop();
    expect(outcomes[0]).toMatchObject({ size: 1, deleted: 0, failed: 1 });
    expect(String(outcomes[0]?.error)).toContain('crash');
    expect(outcomes[1]).toMatchObject({ deleted: 1, failed: 0 });
  });

  it('fails the whole batch when batchItemFailures names a message not in it', async () => {
    const q = await freshQueue();
    const outcomes: BatchOutcome[] = [];
    const es = startSqsEventSource({
      sqs: stack.clients.sqs,
      queueUrl: q.url,
      queueArn: q.arn,
      region: 'us-east-1',
      waitTimeSeconds: 1,
      fn: fn(async () => ({ batchItemFailures: [{ itemIdentifier: 'not-in-batch' }] })),
      onBatch: (o) => outcomes.push(o),
    });
    await send(q.url, 'x');
    await until(() => outcomes.length >= 1);
    await es.stop();
    expect(outcomes[0]).toMatchObject({ deleted: 0, failed: 1 });
  });

  it('lets the redrive policy move repeatedly failing messages to the dead-letter queue', async () => {
    const dlq = await freshQueue();
    const q = await freshQueue({
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 2 }),
    });
    let calls = 0;
    const es = startSqsEventSource({
      sqs: stack.clients.sqs,
      queueUrl: q.url,
      queueArn: q.arn,
      region: 'us-east-1',
      waitTimeSeconds: 1,
      fn: fn(async (e) => {
        calls++;
        return { batchItemFailures: e.Records.map((r) => ({ itemIdentifier: r.messageId })) };
      }),
    });
    await send(q.url, 'poison');
    await until(() => calls >= 2);
    let moved: string | undefined;
    const end = Date.now() + 15_000;
    while (!moved && Date.now() < end) {
      const out = await stack.clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: dlq.url, WaitTimeSeconds: 1 }),
      );
      moved = out.Messages?.[0]?.Body;
    }
    await es.stop();
    expect(moved).toBe('poison');
    expect(calls).toBe(2);
  });

  it('bounds concurrency and waits for running batches on stop', async () => {
    const q = await freshQueue({ VisibilityTimeout: '30' });
    let active = 0;
    let maxActive = 0;
    let finished = 0;
    const es = startSqsEventSource({
      sqs: stack.clients.sqs,
      queueUrl: q.url,
      queueArn: q.arn,
      region: 'us-east-1',
      waitTimeSeconds: 1,
      batchSize: 1,
      maxConcurrency: 2,
      fn: fn(async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        await new Promise((r) => setTimeout(r, 150));
        active--;
        finished++;
        return undefined;
      }),
    });
    await Promise.all(['1', '2', '3', '4', '5'].map((b) => send(q.url, b)));
    await until(() => active > 0);
    await es.stop();
    expect(active).toBe(0);
    expect(maxActive).toBeLessThanOrEqual(2);
    expect(finished).toBeGreaterThan(0);
  });
});
