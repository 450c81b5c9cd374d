/**
 * TaskQueue on SQS. `sendMany` sends batches of 10 (SendMessageBatch); entries SQS fails for its own
 * reasons are retried twice, and any still failing end in one DependencyUnavailableError naming their
 * task ids. Batches are not atomic: after that error some messages may have been sent, which is safe
 * because the dispatcher tolerates duplicate messages; callers may resend all.
 */
import {
  SendMessageBatchCommand,
  type SendMessageBatchCommandOutput,
  type SendMessageBatchRequestEntry,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { DependencyUnavailableError } from '../../domain/errors.js';
import type { DispatchMessage, TaskQueue } from '../../ports/task-queue.js';
import { translateAwsError } from '../aws/errors.js';
import { checkDelay } from '../task-queue-rules.js';
import { encodeDispatchMessage } from './dispatch-message.js';

export interface SqsTaskQueueOptions {
  client: SQSClient;
  queueUrl: string;
  /** Extra tries for batch entries that failed on SQS's side. @default 2 */
  entryRetries?: number;
}

const BATCH = 10;

export class SqsTaskQueue implements TaskQueue {
  private readonly client: SQSClient;
  private readonly queueUrl: string;
  private readonly entryRetries: number;

  constructor(o: SqsTaskQueueOptions) {
    this.client = o.client;
    this.queueUrl = o.queueUrl;
    this.entryRetries = o.entryRetries ?? 2;
  }

  async send(message: DispatchMessage, delaySeconds = 0): Promise<void> {
    checkDelay(delaySeconds);
    try {
      await this.client.send(
        new SendMessageCommand({
          QueueUrl: this.queueUrl,
          MessageBody: encodeDispatchMessage(message),
          DelaySeconds: delaySeconds,
        }),
      );
    } catch (err) {
      throw translateAwsError(err, 'SQS (sending a dispatch message)');
    }
  }

  async sendMany(items: { message: DispatchMessage; delaySeconds?: number }[]): Promise<void> {
    for (const i of items) checkDelay(i.delaySeconds ?? 0);
    const entries: SendMessageBatchRequestEntry[] = items.map((i, n) => ({
      Id: String(n),
      MessageBody: encodeDispatchMessage(i.message),
      DelaySeconds: i.delaySeconds ?? 0,
    }));
    const chunks: SendMessageBatchRequestEntry[][] = [];
    for (let i = 0; i < entries.length; i += BATCH) chunks.push(entries.slice(i, i + BATCH));
    const failed = (await Promise.all(chunks.map((c) => this.sendChunk(c)))).flat();
    if (failed.length > 0) {
      const details = failed.map((f) => ({
        taskId: items[Number(f.id)]?.message.taskId,
        code: f.code,
      }));
      throw new DependencyUnavailableError(
        `SQS did not accept ${failed.length} of ${items.length} dispatch messages.`,
        { details },
      );
    }
  }

  /** Send one batch, retrying the entries SQS failed; returns those that still failed. */
  private async sendChunk(
    chunk: SendMessageBatchRequestEntry[],
  ): Promise<{ id: string; code?: string }[]> {
    let pending = chunk;
    let failures: { id: string; code?: string; senderFault: boolean }[] = [];
    for (let attempt = 0; attempt <= this.entryRetries && pending.length > 0; attempt++) {
      let out: SendMessageBatchCommandOutput;
      try {
        out = await this.client.send(
          new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: pending }),
        );
      } catch (err) {
        throw translateAwsError(err, 'SQS (sending dispatch messages)');
      }
      failures = (out.Failed ?? []).map((f) => ({
        id: f.Id ?? '',
        code: f.Code,
        senderFault: f.SenderFault === true,
      }));
      // A sender fault (our request was wrong) will fail the same way again: do not retry it.
      const retry = new Set(failures.filter((f) => !f.senderFault).map((f) => f.id));
      if (failures.some((f) => f.senderFault)) break;
      pending = pending.filter((e) => retry.has(e.Id ?? ''));
    }
    return failures.map(({ id, code }) => ({ id, ...(code ? { code } : {}) }));
  }
}
