/**
 * The poller's live view of ComfyUI while it polls: it holds the `/ws` of every server that has
 * tasks, turns the events into each task's progress (progress-tracker.ts), writes that progress at
 * most once per `writeIntervalMs` per task, sends throttled `task.progress` webhooks, and wakes the
 * poller as soon as a prompt starts or ends, so the status change and the result copy happen at
 * once rather than at the next poll. Polling stays the safety net: a dropped socket only delays
 * progress, never a result.
 */
import type { Task } from '../domain/task.js';
import { subscribes, webhookIdFor } from '../domain/webhook.js';
import type { Clock } from '../ports/clock.js';
import type { ComfyEvent, ComfyEventSource, ComfyEventStream } from '../ports/comfy-events.js';
import type { ProgressLog } from '../ports/progress-log.js';
import type { TaskRepository } from '../ports/task-repository.js';
import type { WebhookQueue } from '../ports/webhook-queue.js';
import { ProgressTracker } from './progress-tracker.js';

export interface ProgressSessionDeps {
  events: ComfyEventSource;
  tasks: Pick<TaskRepository, 'get'> & ProgressLog;
  clock: Clock;
  /** Where `task.progress` webhook events go. @default none */
  webhooks?: WebhookQueue;
  /** Fewest ms between two progress writes of one task. @default 1000 */
  writeIntervalMs?: number;
  /** Fewest ms between two `task.progress` webhooks of one task. @default 5000 */
  webhookIntervalMs?: number;
  log?: { warn(message: string, extra?: Record<string, unknown>): void };
}

/** A socket of a server without tasks for this long is closed. */
const STREAM_IDLE_MS = 30_000;

export interface ActiveTask {
  taskId: string;
  server: string;
}

export class ProgressSession {
  private readonly tracker = new ProgressTracker();
  private readonly streams = new Map<string, ComfyEventStream>();
  /** When each server last had a task at ComfyUI. */
  private readonly seen = new Map<string, number>();
  private readonly active = new Map<string, string>();
  private readonly written = new Map<string, { seq: number; at: number }>();
  private readonly hooked = new Map<string, number>();
  private readonly loading = new Set<string>();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  private pendingWake = false;
  private wake: (() => void) | undefined;
  /** Polls started early by an event (for the metrics). */
  wakeups = 0;

  constructor(private readonly deps: ProgressSessionDeps) {
    this.timer = setInterval(() => {
      this.flushing = this.flush();
    }, deps.writeIntervalMs ?? 1000);
    this.timer.unref();
  }

  /** The tasks at ComfyUI after a poll: sockets follow their servers. */
  sync(tasks: readonly ActiveTask[]): void {
    this.active.clear();
    for (const t of tasks) if (t.server) this.active.set(t.taskId, t.server);
    const servers = new Set(this.active.values());
    for (const server of servers) {
      if (!this.streams.has(server))
        this.streams.set(
          server,
          this.deps.events.watch(server, (e) => this.onEvent(server, e)),
        );
    }
    // A server's socket stays open while the session lasts, unless the server has had no task for
    // a while: closing and reopening it between two short runs would race ComfyUI's bookkeeping of
    // the client id (a late close forgets the id the new socket took) and miss the next run's events.
    const now = this.deps.clock.now();
    for (const server of servers) this.seen.set(server, now);
    for (const [server, stream] of this.streams) {
      if (!servers.has(server) && now - (this.seen.get(server) ?? 0) >= STREAM_IDLE_MS) {
        void stream.close();
        this.streams.delete(server);
        this.seen.delete(server);
      }
    }
    for (const promptId of this.tracker.prompts()) {
      if (!this.active.has(promptId)) {
        this.tracker.forget(promptId);
        this.written.delete(promptId);
        this.hooked.delete(promptId);
      }
    }
    for (const taskId of this.active.keys()) this.load(taskId);
  }

  /** Sleep up to `ms`, or less when an event asks for a poll now. */
  waitForWake(ms: number): Promise<void> {
    if (this.pendingWake) {
      this.pendingWake = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      const wake = () => {
        clearTimeout(t);
        done();
      };
      function done() {
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        this.wakeups++;
        wake();
      };
      t.unref?.();
    });
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flushing;
    await this.flush();
    await Promise.all([...this.streams.values()].map((s) => s.close()));
    this.streams.clear();
  }

  private onEvent(server: string, e: ComfyEvent): void {
    const applied = this.tracker.apply(server, e);
    if (!applied) return;
    if (!this.active.has(applied.promptId) && applied.lifecycle !== 'started') return;
    if (applied.lifecycle) {
      if (this.wake) this.wake();
      else this.pendingWake = true;
    }
  }

  private load(taskId: string): void {
    if (this.tracker.has(taskId) || this.loading.has(taskId)) return;
    this.loading.add(taskId);
    this.deps.tasks
      .get(taskId)
      .then((task) => {
        if (task) this.tracker.setWorkflow(taskId, task.workflow);
      })
      .catch((err: unknown) =>
        this.deps.log?.warn('workflow not read for progress', { taskId, error: String(err) }),
      )
      .finally(() => this.loading.delete(taskId));
  }

  private async flush(): Promise<void> {
    const now = this.deps.clock.now();
    const writes: Promise<void>[] = [];
    for (const taskId of this.active.keys()) {
      const snap = this.tracker.snapshot(taskId);
      if (!snap) continue;
      if (this.written.get(taskId)?.seq === snap.seq) continue;
      const { seq, ...progress } = snap;
      this.written.set(taskId, { seq, at: now });
      writes.push(
        this.deps.tasks
          .recordProgress(taskId, { ...progress, updatedAt: new Date(now).toISOString() })
          .then((task) => this.progressWebhook(task, now))
          .catch((err: unknown) =>
            this.deps.log?.warn('progress not written', { taskId, error: String(err) }),
          ),
      );
    }
    await Promise.all(writes);
  }

  private async progressWebhook(task: Task | undefined, now: number): Promise<void> {
    if (!task || !this.deps.webhooks || !subscribes(task.webhook, 'task.progress')) return;
    const last = this.hooked.get(task.taskId);
    const every = this.deps.webhookIntervalMs ?? 5000;
    if (last !== undefined && now - last < every && task.progress?.fraction !== 1) return;
    this.hooked.set(task.taskId, now);
    await this.deps.webhooks.send({
      taskId: task.taskId,
      event: 'task.progress',
      webhookId: webhookIdFor(task.taskId, 'task.progress', task.progressSeq ?? 0),
      occurredAt: new Date(now).toISOString(),
    });
  }
}
