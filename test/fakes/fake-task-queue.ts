/**
 * The TaskQueue port in memory. Records every message with its delay; `receive()` hands out the
 * messages whose delay has passed on the given clock (like SQS, a delayed message is invisible until
 * then) and removes them.
 */

import { checkDelay } from '../../shared/adapters/task-queue-rules.js';
import { type Clock, systemClock } from '../../shared/ports/clock.js';
import type { DispatchMessage, TaskQueue } from '../../shared/ports/task-queue.js';

export interface SentMessage {
  message: DispatchMessage;
  delaySeconds: number;
  /** Clock time (ms) when it was sent. */
  sentAt: number;
}

export class FakeTaskQueue implements TaskQueue {
  /** Every message ever sent, in order (never cleared by `receive`). */
  readonly sent: SentMessage[] = [];
  private pending: SentMessage[] = [];
  private readonly failures: Error[] = [];

  constructor(private readonly clock: Clock = systemClock) {}

  /** Make the next `times` send/sendMany calls throw `error` (nothing is recorded). */
  failNext(error: Error, times = 1): void {
    for (let i = 0; i < times; i++) this.failures.push(error);
  }

  async send(message: DispatchMessage, delaySeconds = 0): Promise<void> {
    this.takeFailure();
    checkDelay(delaySeconds);
    this.record(message, delaySeconds);
  }

  async sendMany(items: { message: DispatchMessage; delaySeconds?: number }[]): Promise<void> {
    this.takeFailure();
    for (const i of items) checkDelay(i.delaySeconds ?? 0);
    for (const i of items) this.record(i.message, i.delaySeconds ?? 0);
  }

  /** Messages visible now (delay elapsed), removed from the queue. */
  receive(): SentMessage[] {
    const now = this.clock.now();
    const ready = this.pending.filter((m) => m.sentAt + m.delaySeconds * 1000 <= now);
    this.pending = this.pending.filter((m) => !ready.includes(m));
    return ready;
  }

  /** Task ids of every message sent, in order. */
  sentTaskIds(): string[] {
    return this.sent.map((m) => m.message.taskId);
  }

  private record(message: DispatchMessage, delaySeconds: number): void {
    const m = { message: structuredClone(message), delaySeconds, sentAt: this.clock.now() };
    this.sent.push(m);
    this.pending.push(m);
  }

  private takeFailure(): void {
    const f = this.failures.shift();
    if (f) throw f;
  }
}
