/**
 * SQS at-least-once delivery, exaggerated: wraps an SQS consumer (the dispatcher, the webhook sender)
 * as the event source mapping invokes it, and for a share of records (seeded) delivers the message again: either a second copy in the
 * same batch (same receipt handle, as when SQS hands one message to a poller twice), or a copy sent
 * back to the queue, at once or a few seconds later (another consumer gets it, with a fresh receive
 * count: what our own re-sends and SQS's rare duplicates look like to the consumer).
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { LocalFunction } from '../../../infra/local/runtime/invoke.js';

export interface SqsDuplicates {
  enabled: boolean;
  inBatch: number;
  resent: number;
}

const DUP = '#dup';

export function duplicatingDispatcher(
  fn: LocalFunction,
  opts: { sqs: SQSClient; queueUrl: string; rate: number; random: () => number },
): { fn: LocalFunction; stats: SqsDuplicates } {
  const stats: SqsDuplicates = { enabled: true, inBatch: 0, resent: 0 };
  const handler = async (event: SQSEvent, context: unknown): Promise<unknown> => {
    const records = [...event.Records];
    if (stats.enabled) {
      for (const r of event.Records) {
        if (opts.random() >= opts.rate) continue;
        if (opts.random() < 0.4) {
          records.push({ ...r, messageId: `${r.messageId}${DUP}` });
          stats.inBatch++;
        } else {
          stats.resent++;
          const delay = opts.random() < 0.5 ? 0 : 1 + Math.floor(opts.random() * 3);
          await opts.sqs
            .send(
              new SendMessageCommand({
                QueueUrl: opts.queueUrl,
                MessageBody: r.body,
                DelaySeconds: delay,
              }),
            )
            .catch(() => undefined);
        }
      }
    }
    const out = (await (fn.handler as (e: SQSEvent, c: unknown) => Promise<unknown>)(
      { Records: records },
      context,
    )) as SQSBatchResponse | undefined;
    if (!out?.batchItemFailures) return out;
    // A failed in-batch copy fails its original: the mapping only knows the real message ids.
    const failed = new Set(out.batchItemFailures.map((f) => f.itemIdentifier.replace(DUP, '')));
    return { batchItemFailures: [...failed].map((itemIdentifier) => ({ itemIdentifier })) };
  };
  return { fn: { ...fn, handler: handler as LocalFunction['handler'] }, stats };
}
