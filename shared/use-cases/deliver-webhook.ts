/**
 * One attempt to deliver one webhook event. The body is built at the attempt from the task as it is
 * then (`data` is the task as GET /v1/tasks/{id} returns it, with fresh output links), signed with
 * the owner's active secrets, and POSTed to the subscription URL after the URL is checked again
 * (its host resolved, every address public, the connection pinned to the checked address). The
 * outcome is kept on the task. An event already delivered (a duplicate SQS message) is not sent
 * again; the `webhook-id` is the event's own, so a receiver can drop any duplicate that slips
 * through (two copies in flight at once).
 */
import type { WebhookDelivery } from '../domain/webhook.js';
import { type Clock, isoAt } from '../ports/clock.js';
import type { TaskRepository } from '../ports/task-repository.js';
import type { WebhookDeliveryLog } from '../ports/webhook-delivery-log.js';
import type { WebhookMessage } from '../ports/webhook-queue.js';
import { activeSecrets, type WebhookSecretStore } from '../ports/webhook-secrets.js';
import type { WebhookTransport } from '../ports/webhook-transport.js';
import { signedHeaders } from '../webhooks/signing.js';
import { checkTarget, type HostResolver, type TargetPolicy } from '../webhooks/target.js';
import { type TaskViewDeps, toTaskView } from './task-view.js';

export interface DeliverWebhookDeps extends TaskViewDeps {
  tasks: Pick<TaskRepository, 'get'>;
  deliveries: WebhookDeliveryLog;
  secrets: Pick<WebhookSecretStore, 'get'>;
  transport: WebhookTransport;
  resolver: HostResolver;
  policy: TargetPolicy;
  clock: Clock;
}

export type DeliveryOutcome =
  | { kind: 'delivered'; status: number }
  | { kind: 'skipped'; reason: 'task-gone' | 'no-subscription' | 'already-delivered' }
  | { kind: 'failed'; error: string; status?: number };

/**
 * `attempt` is 1-based (the SQS receive count); `final` says no retry follows a failure, and the
 * delivery is then marked abandoned.
 */
export async function deliverWebhook(
  deps: DeliverWebhookDeps,
  message: WebhookMessage,
  attempt: number,
  final: boolean,
): Promise<DeliveryOutcome> {
  const task = await deps.tasks.get(message.taskId);
  if (!task) return { kind: 'skipped', reason: 'task-gone' };
  if (!task.webhook) return { kind: 'skipped', reason: 'no-subscription' };
  const previous = task.deliveries?.[message.event];
  if (previous?.webhookId === message.webhookId && previous.deliveredAt)
    return { kind: 'skipped', reason: 'already-delivered' };

  const result = await attemptOnce(deps, task, message);
  const now = isoAt(deps.clock);
  const record: WebhookDelivery = {
    event: message.event,
    webhookId: message.webhookId,
    attempts: Math.max(
      attempt,
      previous?.webhookId === message.webhookId ? previous.attempts + 1 : 1,
    ),
    lastAttemptAt: now,
  };
  if (result.status !== undefined) record.lastStatus = result.status;
  if (result.kind === 'delivered') record.deliveredAt = now;
  else {
    record.lastError = result.error;
    if (final) record.abandonedAt = now;
  }
  await deps.deliveries.recordDelivery(task.taskId, record);
  return result;
}

async function attemptOnce(
  deps: DeliverWebhookDeps,
  task: NonNullable<Awaited<ReturnType<DeliverWebhookDeps['tasks']['get']>>>,
  message: WebhookMessage,
): Promise<Exclude<DeliveryOutcome, { kind: 'skipped' }>> {
  const secrets = await deps.secrets.get(task.owner);
  if (!secrets) return { kind: 'failed', error: 'the owner has no webhook signing secret' };
  let target: Awaited<ReturnType<typeof checkTarget>>;
  try {
    target = await checkTarget(task.webhook?.url ?? '', deps.resolver, deps.policy);
  } catch (err) {
    return { kind: 'failed', error: `refused: ${(err as Error).message}` };
  }
  const data = await toTaskView(deps, task);
  const body = JSON.stringify({ type: message.event, timestamp: message.occurredAt, data });
  const nowMs = deps.clock.now();
  const headers = signedHeaders(
    activeSecrets(secrets, nowMs),
    message.webhookId,
    Math.floor(nowMs / 1000),
    body,
  );
  const res = await deps.transport.post(target, { ...headers }, body);
  if (res.status !== undefined && res.status >= 200 && res.status < 300 && !res.error)
    return { kind: 'delivered', status: res.status };
  return {
    kind: 'failed',
    error: res.error ?? `HTTP ${res.status}`,
    ...(res.status !== undefined ? { status: res.status } : {}),
  };
}
