/** WebhookQueue on SQS: one SendMessage per event. */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { WebhookMessage, WebhookQueue } from '../../ports/webhook-queue.js';
import { translateAwsError } from '../aws/errors.js';

export class SqsWebhookQueue implements WebhookQueue {
  constructor(private readonly o: { client: SQSClient; queueUrl: string }) {}

  async send(message: WebhookMessage): Promise<void> {
    try {
      await this.o.client.send(
        new SendMessageCommand({ QueueUrl: this.o.queueUrl, MessageBody: JSON.stringify(message) }),
      );
    } catch (err) {
      throw translateAwsError(err, 'SQS (sending a webhook event)');
    }
  }
}
