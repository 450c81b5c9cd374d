import { describe, expect, it } from 'vitest';
import { webhookIdFor } from '../../../shared/domain/webhook.js';
import { withWebhookEvents } from '../../../shared/webhooks/emitting-task-repository.js';
import { FixedClock } from '../../fakes/fixed-clock.js';
import { InMemoryTaskRepository } from '../../fakes/in-memory-task-repository.js';
import { aTask } from '../../fakes/tasks.js';
import { RecordingQueue } from './fakes.js';

function setup(
  events = ['task.running', 'task.succeeded', 'task.failed', 'task.cancelled'] as const,
) {
  const clock = new FixedClock();
  const inner = new InMemoryTaskRepository({ clock });
  const queue = new RecordingQueue();
  const lost: string[] = [];
  const errors: string[] = [];
  const tasks = withWebhookEvents(inner, {
    queue,
    clock,
    onLost: (m) => lost.push(m.event),
    log: { error: (m) => errors.push(m) },
  });
  const task = aTask({
    status: 'dispatched',
    webhook: { url: 'https://hooks.example.com/', events: [...events] },
    deliveries: {},
  });
  inner.seed(task);
  return { clock, inner, queue, tasks, task, lost, errors };
}

describe('webhook events from task writes', () => {
  it('raises task.running and task.succeeded with fixed ids when the status moves', async () => {
    const s = setup();
    await s.tasks.update(
      s.task.taskId,
      { status: 'dispatched' },
      { status: 'running', startedAt: s.clock.iso() },
    );
    await s.tasks.update(s.task.taskId, { status: 'running' }, { queuePosition: 0 });
    await s.tasks.update(
      s.task.taskId,
      { status: 'running' },
      { status: 'succeeded', finishedAt: '2026-01-01T00:00:05.000Z' },
    );
    expect(s.queue.messages).toEqual([
      {
        taskId: s.task.taskId,
        event: 'task.running',
        webhookId: webhookIdFor(s.task.taskId, 'task.running', 0),
        occurredAt: s.clock.iso(),
      },
      {
        taskId: s.task.taskId,
        event: 'task.succeeded',
        webhookId: webhookIdFor(s.task.taskId, 'task.succeeded'),
        occurredAt: '2026-01-01T00:00:05.000Z',
      },
    ]);
  });

  it('raises only the subscribed events, and none for tasks without a webhook', async () => {
    const s = setup(['task.failed'] as never);
    await s.tasks.update(s.task.taskId, { status: 'dispatched' }, { status: 'running' });
    expect(s.queue.messages).toEqual([]);
    const plain = aTask({ status: 'running' });
    s.inner.seed(plain);
    await s.tasks.update(plain.taskId, { status: 'running' }, { status: 'failed' });
    expect(s.queue.messages).toEqual([]);
    await s.tasks.update(s.task.taskId, { status: 'running' }, { status: 'failed' });
    expect(s.queue.messages.map((m) => m.event)).toEqual(['task.failed']);
  });

  it('retries a failed send, then reports the event lost without failing the write', async () => {
    const s = setup();
    s.queue.failures = 1;
    await s.tasks.update(s.task.taskId, { status: 'dispatched' }, { status: 'cancelled' });
    expect(s.queue.messages.map((m) => m.event)).toEqual(['task.cancelled']);
    const other = aTask({
      status: 'running',
      webhook: s.task.webhook ?? { url: '', events: [] },
      deliveries: {},
    });
    s.inner.seed(other);
    s.queue.failures = 3;
    const written = await s.tasks.update(other.taskId, { status: 'running' }, { status: 'failed' });
    expect(written.status).toBe('failed');
    expect(s.lost).toEqual(['task.failed']);
    expect(s.errors).toEqual(['webhook event could not be queued']);
  });

  it('gives a re-run of a re-queued task its own task.running id', () => {
    const id = 'a0b1c2d3-0000-4000-8000-000000000000';
    expect(webhookIdFor(id, 'task.running', 0)).not.toBe(webhookIdFor(id, 'task.running', 1));
    expect(webhookIdFor(id, 'task.succeeded')).toBe(
      'msg_a0b1c2d3000040008000000000000000_succeeded',
    );
  });
});
