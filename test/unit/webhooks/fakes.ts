/** Fakes of the webhook ports: a scripted receiver, a recording queue and visibility, a DNS table. */
import type { VisibilityChange } from '../../../shared/ports/message-visibility.js';
import type { WebhookMessage, WebhookQueue } from '../../../shared/ports/webhook-queue.js';
import type {
  WebhookAttemptResult,
  WebhookTransport,
} from '../../../shared/ports/webhook-transport.js';
import type { CheckedTarget, HostResolver } from '../../../shared/webhooks/target.js';

export interface SentRequest {
  target: CheckedTarget;
  headers: Record<string, string>;
  body: string;
}

/** Answers with the scripted results in turn, then with `then` (default 200). */
export class ScriptedReceiver implements WebhookTransport {
  readonly sent: SentRequest[] = [];
  constructor(
    private readonly script: WebhookAttemptResult[] = [],
    private readonly then: WebhookAttemptResult = { status: 200 },
  ) {}
  async post(target: CheckedTarget, headers: Record<string, string>, body: string) {
    this.sent.push({ target, headers, body });
    return this.script.shift() ?? this.then;
  }
}

export class RecordingQueue implements WebhookQueue {
  readonly messages: WebhookMessage[] = [];
  failures = 0;
  async send(message: WebhookMessage): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('SQS unavailable');
    }
    this.messages.push(structuredClone(message));
  }
}

export class RecordingVisibility {
  readonly changes: VisibilityChange[] = [];
  async change(items: readonly VisibilityChange[]): Promise<void> {
    this.changes.push(...items);
  }
}

export const dnsTable = (entries: Record<string, string[]>): HostResolver => ({
  async resolve(host) {
    const found = entries[host];
    if (!found) throw new Error(`ENOTFOUND ${host}`);
    return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  },
});
