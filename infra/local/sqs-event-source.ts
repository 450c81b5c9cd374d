/**
 * An SQS event source mapping like Lambda's: pollers long-poll the queue, hand each batch to the
 * function as an SQSEvent, delete the messages that succeeded, and leave the rest to reappear after
 * the queue's visibility timeout (where the redrive policy counts them towards the dead-letter
 * queue). With ReportBatchItemFailures (on by default, as our stacks configure it) the function's
 * `batchItemFailures` name the failed messages; an empty list is full success, and a list naming a
 * message not in the batch, or a thrown error or timeout, fails the whole batch.
 */
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { invokeFunction, type LocalFunction } from './runtime/invoke.js';
import { settleWithin } from './runtime/settle.js';

export interface SqsEventSourceOptions {
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  fn: LocalFunction;
  region: string;
  /** Messages per batch (1-10). @default 10 */
  batchSize?: number;
  /** Long-poll wait per receive. @default 20 */
  waitTimeSeconds?: number;
  /** Override the queue's visibility timeout on receive. @default the queue's own */
  visibilityTimeoutSeconds?: number;
  /** Concurrent pollers, each running one batch at a time. @default 2 */
  maxConcurrency?: number;
  /** @default true */
  reportBatchItemFailures?: boolean;
  onBatch?: (outcome: BatchOutcome) => void;
  onError?: (err: unknown, where: string) => void;
}

export interface BatchOutcome {
  size: number;
  deleted: number;
  failed: number;
  /** Set when the whole batch failed. */
  error?: unknown;
}

export interface SqsEventSource {
  /** Stops receiving and waits for running batches to finish (at most `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

export function toSqsRecord(m: Message, queueArn: string, region: string): SQSRecord {
  const messageAttributes: SQSRecord['messageAttributes'] = {};
  for (const [name, v] of Object.entries(m.MessageAttributes ?? {})) {
    messageAttributes[name] = {
      dataType: v.DataType ?? 'String',
      ...(v.StringValue !== undefined ? { stringValue: v.StringValue } : {}),
      ...(v.BinaryValue !== undefined
        ? { binaryValue: Buffer.from(v.BinaryValue).toString('base64') }
        : {}),
      stringListValues: v.StringListValues ?? [],
      binaryListValues: (v.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
    };
  }
  const attrs = m.Attributes ?? {};
  return {
    messageId: m.MessageId ?? '',
    receiptHandle: m.ReceiptHandle ?? '',
    body: m.Body ?? '',
    attributes: {
      ...attrs,
      ApproximateReceiveCount: attrs.ApproximateReceiveCount ?? '1',
      SentTimestamp: attrs.SentTimestamp ?? String(Date.now()),
      SenderId: attrs.SenderId ?? 'AIDALOCALSENDER',
      ApproximateFirstReceiveTimestamp:
        attrs.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    } as SQSRecord['attributes'],
    messageAttributes,
    md5OfBody: m.MD5OfBody ?? '',
    ...(m.MD5OfMessageAttributes ? { md5OfMessageAttributes: m.MD5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

/** The message ids that failed, by Lambda's rules; 'all' for a whole-batch failure. */
export function failedMessageIds(
  result: unknown,
  batchIds: readonly string[],
): Set<string> | 'all' {
  if (result === null || result === undefined || typeof result !== 'object') return new Set();
  const failures = (result as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) return 'all';
  const ids = new Set<string>();
  for (const f of failures) {
    const id = (f as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || !batchIds.includes(id)) return 'all';
    ids.add(id);
  }
  return ids;
}

export function startSqsEventSource(opts: SqsEventSourceOptions): SqsEventSource {
  const abort = new AbortController();
  let stopped = false;
  const report = opts.reportBatchItemFailures ?? true;

  const runBatch = async (messages: Message[]) => {
    const records = messages.map((m) => toSqsRecord(m, opts.queueArn, opts.region));
    const ids = records.map((r) => r.messageId);
    let failed: Set<string> | 'all';
    let error: unknown;
    try {
      const event: SQSEvent = { Records: records };
      const result = await invokeFunction(opts.fn, event, { region: opts.region });
      failed = report ? failedMessageIds(result, ids) : new Set();
      if (failed === 'all') error = new Error('invalid batchItemFailures in the response');
    } catch (err) {
      failed = 'all';
      error = err;
      opts.onError?.(err, `${opts.fn.name} batch`);
    }
    const toDelete = failed === 'all' ? [] : records.filter((r) => !failed.has(r.messageId));
    if (toDelete.length) {
      try {
        const out = await opts.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: opts.queueUrl,
            Entries: toDelete.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
          }),
        );
        if (out.Failed?.length) opts.onError?.(out.Failed, `${opts.fn.name} delete`);
      } catch (err) {
        opts.onError?.(err, `${opts.fn.name} delete`);
      }
    }
    opts.onBatch?.({
      size: records.length,
      deleted: toDelete.length,
      failed: records.length - toDelete.length,
      ...(error ? { error } : {}),
    });
  };

  const poll = async () => {
    while (!stopped) {
      let messages: Message[] = [];
      try {
        const out = await opts.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: opts.queueUrl,
            MaxNumberOfMessages: Math.min(10, Math.max(1, opts.batchSize ?? 10)),
            WaitTimeSeconds: opts.waitTimeSeconds ?? 20,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
            ...(opts.visibilityTimeoutSeconds !== undefined
              ? { VisibilityTimeout: opts.visibilityTimeoutSeconds }
              : {}),
          }),
          { abortSignal: abort.signal },
        );
        messages = out.Messages ?? [];
      } catch (err) {
        if (stopped) break;
        opts.onError?.(err, `${opts.fn.name} receive`);
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      if (messages.length) await runBatch(messages);
    }
  };

  const pollers = Array.from({ length: Math.max(1, opts.maxConcurrency ?? 2) }, poll);
  return {
    async stop(graceMs) {
      stopped = true;
      abort.abort();
      await settleWithin(pollers, graceMs);
    },
  };
}
