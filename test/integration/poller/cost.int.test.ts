/**
 * What a poll costs in AWS requests (counted on the SDK clients) and ComfyUI calls: an idle-but-active
 * poll reads one index page and writes nothing, however many finished tasks the table holds; a task's
 * whole life at the poller costs a handful of writes and one upload per output.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestCounter } from '../../../shared/adapters/aws/request-counter.js';
import type { ComfyClient } from '../../../shared/ports/comfy-client.js';
import { pollTasks } from '../../../shared/use-cases/poll-tasks.js';
import { aTask } from '../../fakes/tasks.js';
import { emptyToSave } from '../comfyui/workflows.js';
import { type PollerRig, pollerRig } from './rig.js';

const terminal = (t: { status: string }) => ['succeeded', 'failed', 'cancelled'].includes(t.status);

/** Counts the ComfyUI calls a poll makes, by method. */
function countingComfy(inner: ComfyClient) {
  const calls: Record<string, number> = {};
  const client = new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        calls[String(prop)] = (calls[String(prop)] ?? 0) + 1;
        return v.apply(target, args);
      };
    },
  });
  return { client, calls };
}

const byOp = (c: RequestCounter) =>
  Object.fromEntries(c.snapshot().map((r) => [`${r.service}.${r.operation}`, r.calls]));

describe('poller request cost', () => {
  let rig: PollerRig;
  const counter = new RequestCounter();
  beforeAll(async () => {
    rig = await pollerRig();
    counter
      .attach(rig.stack.clients.dynamodb)
      .attach(rig.stack.clients.s3)
      .attach(rig.stack.clients.sqs);
  });
  afterAll(async () => {
    await rig.close();
  });

  it('reads one index page and writes nothing for active tasks that did not change, whatever the table holds', async () => {
    // Prepare: 30 finished tasks, and 4 at ComfyUI (one running for a while, three waiting)
    for (let i = 0; i < 30; i++) {
      await rig.deps.tasks.create(
        aTask({ status: 'succeeded', finishedAt: new Date().toISOString() }),
      );
    }
    const blockerId = randomUUID();
    rig.comfy.control.setExecutionMsFor(blockerId, 8000);
    const blocker = await rig.submit(emptyToSave('cost-block', 1), { taskId: blockerId });
    const waiting = [];
    for (let i = 0; i < 3; i++) waiting.push(await rig.submit(emptyToSave(`cost-wait${i}`, i + 2)));
    await rig.poll(); // records running and the queue positions
    const { client, calls } = countingComfy(rig.deps.comfyFor(rig.comfy.url));
    counter.reset();
    // Act
    const report = await pollTasks({ ...rig.deps, comfyFor: () => client });
    // Assess
    expect(report.active).toBe(4);
    expect(report.tasks.every((t) => t.outcome === 'unchanged')).toBe(true);
    expect(byOp(counter)).toEqual({ 'DynamoDB.Query': 1 });
    expect(calls).toEqual({ getQueue: 1 });
    console.log(
      'steady poll, 4 active tasks, 34 stored:',
      JSON.stringify(byOp(counter)),
      JSON.stringify(calls),
    );
    for (const t of [blocker, ...waiting]) await rig.cancel(t);
    await Promise.all([blocker, ...waiting].map((t) => rig.pollUntil(t.taskId, terminal)));
  });

  it('costs a few writes and one upload per output over the life of a task', async () => {
    const task = await rig.submit({
      ...emptyToSave('cost-life', 9),
      '3': { class_type: 'PreviewImage', inputs: { images: ['1', 0] } },
    });
    const { client, calls } = countingComfy(rig.deps.comfyFor(rig.comfy.url));
    counter.reset();
    let polls = 0;
    for (;;) {
      const report = await pollTasks({ ...rig.deps, comfyFor: () => client });
      polls++;
      if (report.tasks.some((t) => t.taskId === task.taskId && terminal({ status: t.outcome })))
        break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const ops = byOp(counter);
    const done = await rig.get(task.taskId);
    expect(done.status).toBe('succeeded');
    expect(done.outputs).toHaveLength(2);
    // One conditional write to end it (plus one if it was seen running); one HEAD + PUT per output.
    expect(ops['DynamoDB.UpdateItem']).toBeLessThanOrEqual(2);
    expect(ops['S3.PutObject']).toBe(2);
    expect(ops['S3.HeadObject']).toBe(2);
    expect(ops['SQS.SendMessage']).toBeUndefined();
    expect(ops['DynamoDB.GetItem']).toBeUndefined();
    console.log(`one task, 2 outputs, ${polls} polls:`, JSON.stringify(ops), JSON.stringify(calls));
  });
});
