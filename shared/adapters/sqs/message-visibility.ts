/** ChangeMessageVisibilityBatch, 10 entries per request (the SQS limit). */
import { ChangeMessageVisibilityBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { DependencyUnavailableError } from '../../domain/errors.js';
import {
  MAX_VISIBILITY_SECONDS,
  type MessageVisibility,
  type VisibilityChange,
} from '../../ports/message-visibility.js';
import { translateAwsError } from '../aws/errors.js';

export class SqsMessageVisibility implements MessageVisibility {
  constructor(private readonly opts: { client: SQSClient; queueUrl: string }) {}

  async change(items: readonly VisibilityChange[]): Promise<void> {
    const failed: string[] = [];
    for (let i = 0; i < items.length; i += 10) {
      const chunk = items.slice(i, i + 10);
      try {
        const out = await this.opts.client.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: this.opts.queueUrl,
            Entries: chunk.map((it, j) => ({
              Id: String(i + j),
              ReceiptHandle: it.receiptHandle,
              VisibilityTimeout: Math.max(
                0,
                Math.min(MAX_VISIBILITY_SECONDS, Math.round(it.seconds)),
              ),
            })),
          }),
        );
        for (const f of out.Failed ?? [])
          failed.push(`${f.Id}: ${f.Code ?? ''} ${f.Message ?? ''}`);
      } catch (err) {
        throw translateAwsError(err, 'SQS (changing message visibility)');
      }
    }
    if (failed.length) {
      throw new DependencyUnavailableError(`Some visibility changes failed: ${failed.join('; ')}`);
    }
  }
}
