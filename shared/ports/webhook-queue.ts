/** The durable queue between the parts that change tasks and the webhook sender (SQS in production). */
import type { WebhookEventType } from '../domain/webhook.js';

export interface WebhookMessage {
  taskId: string;
  event: WebhookEventType;
  /** The event's fixed `webhook-id`. */
  webhookId: string;
  /** When the event happened (the body's `timestamp`). */
  occurredAt: string;
}

export interface WebhookQueue {
  send(message: WebhookMessage): Promise<void>;
}

/** The message from an SQS body, or undefined when it is not one. */
export function readWebhookMessage(body: string): WebhookMessage | undefined {
  try {
    const m = JSON.parse(body) as Partial<WebhookMessage>;
    if (
      typeof m.taskId === 'string' &&
      typeof m.event === 'string' &&
      typeof m.webhookId === 'string' &&
      typeof m.occurredAt === 'string'
    )
      return m as WebhookMessage;
  } catch {
    // not JSON
  }
  return undefined;
}
