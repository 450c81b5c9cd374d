/**
 * Webhooks: a task's subscription (where to send which events) and what became of each delivery.
 * Every event of one task has one fixed `webhook-id`, the same on every retry and every duplicate
 * send, so a receiver that remembers the ids it has seen processes each event once.
 */
import type { TaskStatus } from './task.js';

export const WEBHOOK_EVENTS = [
  'task.running',
  'task.progress',
  'task.succeeded',
  'task.failed',
  'task.cancelled',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];

/** Sent when a subscription names no events: the terminal ones. */
export const DEFAULT_WEBHOOK_EVENTS: readonly WebhookEventType[] = [
  'task.succeeded',
  'task.failed',
  'task.cancelled',
];

export interface WebhookSubscription {
  url: string;
  events: WebhookEventType[];
}

/** What happened to one event's delivery (the task shows these). */
export interface WebhookDelivery {
  event: WebhookEventType;
  webhookId: string;
  attempts: number;
  /** HTTP status of the latest attempt, when the receiver answered. */
  lastStatus?: number;
  /** Why the latest attempt failed, when it did (timeout, refused address, reset, non-2xx). */
  lastError?: string;
  lastAttemptAt?: string;
  deliveredAt?: string;
  /** Set when the retry schedule ran out without a 2xx: the event went to the dead-letter queue. */
  abandonedAt?: string;
}

/** The event a status change into `status` raises, if any. */
export function eventForStatus(status: TaskStatus): WebhookEventType | undefined {
  switch (status) {
    case 'running':
      return 'task.running';
    case 'succeeded':
      return 'task.succeeded';
    case 'failed':
      return 'task.failed';
    case 'cancelled':
      return 'task.cancelled';
    default:
      return undefined;
  }
}

/**
 * The fixed id of one event of one task. A task can run more than once (ComfyUI lost it and it was
 * re-queued), so `task.running` carries the attempt; `task.progress` carries its step counter.
 */
export function webhookIdFor(taskId: string, event: WebhookEventType, seq = 0): string {
  const base = `msg_${taskId.replaceAll('-', '')}_${event.slice('task.'.length)}`;
  return event === 'task.running' || event === 'task.progress' ? `${base}_${seq}` : base;
}

export const subscribes = (sub: WebhookSubscription | undefined, event: WebhookEventType) =>
  sub?.events.includes(event) === true;
