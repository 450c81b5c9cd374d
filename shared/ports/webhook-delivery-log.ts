/**
 * Where the outcome of each webhook delivery is kept: on the task itself (`deliveries`, by event),
 * so GET /v1/tasks/{id} shows it. Writing it is not a change of the task: status and version stay.
 * A task that no longer exists (removed by retention) is ignored.
 */
import type { WebhookDelivery } from '../domain/webhook.js';

export interface WebhookDeliveryLog {
  recordDelivery(taskId: string, delivery: WebhookDelivery): Promise<void>;
}
