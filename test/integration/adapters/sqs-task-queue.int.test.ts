/** SqsTaskQueue on fauxqs: the shared contract, then per-entry batch failures and the wire format. */
import { randomUUID } from 'node:crypto';
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type SendMessageBatchCommandInput,
  type SendMessageBatchCommandOutput,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { bootstrapLocalResources } from '../../../infra/local/bootstrap.js';
import { decodeDispatchMessage } from '../../../shared/adapters/sqs/dispatch-message.js';
import { SqsTaskQueue } from '../../../shared/adapters/sqs/task-queue.js';
import { DependencyUnavailableError } from '../../../shared/domain/errors.js';
import type { DispatchMessage } from '../../../shared/ports/task-queue.js';
import { taskQueueContract } from '../../contract/task-queue.contract.js';
import { createTestStack, type TestStack } from '../../helpers/stack.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack();
});

/** A fresh queue per test, so messages never leak between tests. */
async function freshQueueUrl(): Promise<string> {
  const names = await bootstrapLocalResources(stack.clients, `-${randomUUID().slice(0, 8)}`);
  return names.queueUrl;
}

async function drain(client: SQSClient, queueUrl: string): Promise<string[]> {
  const bodies: string[] = [];
  // Two empty receives in a row: the queue holds nothing visible.
  for (let empty = 0; empty < 2; ) {
    const out = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
      }),
    );
    const msgs = out.Messages ?? [];
    if (msgs.length === 0) {
      empty++;
      continue;
    }
    empty = 0;
    bodies.push(...msgs.map((m) => m.Body ?? ''));
    await client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: msgs.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
      }),
    );
  }
  return bodies;
}

describe('SqsTaskQueue meets the TaskQueue contract', () => {
  taskQueueContract(async () => {
    const queueUrl = await freshQueueUrl();
    return {
      queue: new SqsTaskQueue({ client: stack.clients.sqs, queueUrl }),
      receiveVisible: async (): Promise<DispatchMessage[]> =>
        (await drain(stack.clients.sqs, queueUrl)).map(decodeDispatchMessage),
    };
  });
});

/**
 * An SQS client that really sends, but on the first `failFirst` batch calls drops the entries
 * `pick` selects and reports them Failed, as SQS does for a partial batch failure.
 */
function flakyClient(pick: (id: string) => boolean, senderFault: boolean, failFirst: number) {
  const client = new SQSClient({
    region: 'us-east-1',
    endpoint: stack.endpoints.sqs,
    useQueueUrlAsEndpoint: false,
  });
  const calls: string[][] = [];
  client.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as SendMessageBatchCommandInput;
      if (!input.Entries) return next(args);
      calls.push(input.Entries.map((e) => e.Id ?? ''));
      if (calls.length > failFirst) return next(args);
      const dropped = input.Entries.filter((e) => pick(e.Id ?? ''));
      const kept = input.Entries.filter((e) => !pick(e.Id ?? ''));
      const failed = dropped.map((e) => ({
        Id: e.Id,
        Code: senderFault ? 'InvalidParameterValue' : 'InternalError',
        SenderFault: senderFault,
      }));
      if (kept.length === 0)
        return { response: {}, output: { Successful: [], Failed: failed, $metadata: {} } };
      const result = await next({ ...args, input: { ...input, Entries: kept } });
      (result.output as SendMessageBatchCommandOutput).Failed = failed;
      return result;
    },
    { step: 'initialize', name: 'partialBatchFailure' },
  );
  return { client, calls };
}

describe('SqsTaskQueue batch failures', () => {
  const msgs = (n: number) =>
    Array.from({ length: n }, () => ({ message: { taskId: randomUUID() } }));

  it('retries only the entries SQS failed, so every message arrives once', async () => {
    const queueUrl = await freshQueueUrl();
    const { client, calls } = flakyClient((id) => id === '3' || id === '12', false, 2);
    const items = msgs(14);
    await new SqsTaskQueue({ client, queueUrl }).sendMany(items);
    const got = (await drain(stack.clients.sqs, queueUrl)).map(
      (b) => decodeDispatchMessage(b).taskId,
    );
    expect(got.sort()).toEqual(items.map((i) => i.message.taskId).sort());
    expect(calls.filter((c) => c.length === 1).sort()).toEqual([['12'], ['3']]);
    client.destroy();
  });

  it('names the task ids still failing after its retries', async () => {
    const queueUrl = await freshQueueUrl();
    const { client, calls } = flakyClient((id) => id === '1', false, 99);
    const items = msgs(3);
    const err = await new SqsTaskQueue({ client, queueUrl })
      .sendMany(items)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect((err as DependencyUnavailableError).details).toEqual([
      { taskId: items[1]?.message.taskId, code: 'InternalError' },
    ]);
    expect(calls).toHaveLength(3);
    client.destroy();
  });

  it('does not retry an entry SQS blamed on the sender', async () => {
    const queueUrl = await freshQueueUrl();
    const { client, calls } = flakyClient((id) => id === '0', true, 99);
    await expect(new SqsTaskQueue({ client, queueUrl }).sendMany(msgs(2))).rejects.toBeInstanceOf(
      DependencyUnavailableError,
    );
    expect(calls).toHaveLength(1);
    client.destroy();
  });

  it('turns an unreachable SQS into DependencyUnavailableError', async () => {
    const client = new SQSClient({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9',
      useQueueUrlAsEndpoint: false,
      maxAttempts: 1,
    });
    const queue = new SqsTaskQueue({ client, queueUrl: stack.names.queueUrl });
    await expect(queue.send({ taskId: randomUUID() })).rejects.toBeInstanceOf(
      DependencyUnavailableError,
    );
    client.destroy();
  });
});

describe('dispatch message bodies', () => {
  it('round-trip, and anything else is INVALID_MESSAGE', () => {
    const id = randomUUID();
    expect(decodeDispatchMessage(JSON.stringify({ taskId: id, deferrals: 2 }))).toEqual({
      taskId: id,
      deferrals: 2,
    });
    for (const bad of ['', 'null', '{}', '{"taskId":"x"}', `{"taskId":"${id}","deferrals":-1}`])
      expect(() => decodeDispatchMessage(bad)).toThrow(/not a dispatch message/);
  });
});
