/** The TaskQueue contract, run against the fake queue (unit) and SQS on fauxqs (integration). */
import { randomUUID } from 'node:crypto';
import { beforeEach, expect, it } from 'vitest';
import type { DispatchMessage, TaskQueue } from '../../shared/ports/task-queue.js';

export interface TaskQueueSubject {
  queue: TaskQueue;
  /** Every message visible now (delays elapsed), taken off the queue. */
  receiveVisible(): Promise<DispatchMessage[]>;
}

const byId = (a: DispatchMessage, b: DispatchMessage) => (a.taskId < b.taskId ? -1 : 1);

export function taskQueueContract(makeSubject: () => Promise<TaskQueueSubject>): void {
  let s: TaskQueueSubject;
  beforeEach(async () => {
    s = await makeSubject();
  });

  it('delivers a sent message with its fields', async () => {
    const msg = { taskId: randomUUID(), deferrals: 2 };
    await s.queue.send(msg);
    expect(await s.receiveVisible()).toEqual([msg]);
  });

  it('sends many messages in batches, all delivered once', async () => {
    const msgs = Array.from({ length: 23 }, () => ({ taskId: randomUUID() }));
    await s.queue.sendMany(msgs.map((message) => ({ message })));
    const got = await s.receiveVisible();
    expect(got.sort(byId)).toEqual([...msgs].sort(byId));
  });

  it('accepts an empty batch', async () => {
    await s.queue.sendMany([]);
    expect(await s.receiveVisible()).toEqual([]);
  });

  it('holds a delayed message back', async () => {
    const now = { taskId: randomUUID() };
    await s.queue.sendMany([
      { message: now },
      { message: { taskId: randomUUID() }, delaySeconds: 600 },
    ]);
    await s.queue.send({ taskId: randomUUID() }, 600);
    expect(await s.receiveVisible()).toEqual([now]);
  });

  it('refuses a delay SQS would refuse, sending nothing', async () => {
    await expect(s.queue.send({ taskId: randomUUID() }, 901)).rejects.toBeInstanceOf(RangeError);
    await expect(
      s.queue.sendMany([
        { message: { taskId: randomUUID() } },
        { message: { taskId: 'x' }, delaySeconds: -1 },
      ]),
    ).rejects.toBeInstanceOf(RangeError);
    expect(await s.receiveVisible()).toEqual([]);
  });
}
