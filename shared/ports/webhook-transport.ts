/** Sending one webhook request. Implementations never throw for receiver failures: they report them. */
import type { CheckedTarget } from '../webhooks/target.js';

export interface WebhookAttemptResult {
  /** The receiver's HTTP status, when it answered. */
  status?: number;
  /** Why no 2xx: timeout, connection refused or reset, redirect not followed, status text. */
  error?: string;
}

export interface WebhookTransport {
  post(
    target: CheckedTarget,
    headers: Record<string, string>,
    body: string,
  ): Promise<WebhookAttemptResult>;
}
