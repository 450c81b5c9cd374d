import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { createHandler } from '../../../functions/dispatcher/handler.js';
import { logger } from '../../../shared/observability.js';
import type { VisibilityChange } from '../../../shared/ports/message-visibility.js';
import { FakeComfyClient } from '../../fakes/fake-comfy-client.js';
import { FakeTaskQueue } from '../../fakes/fake-task-queue.js';
import { FixedClock } from '../../fakes/fixed-clock.js';
import { InMemoryArtifactStore } from '../../fakes/in-memory-artifact-store.js';
import { InMemoryTaskRepository } from '../../fakes/in-memory-task-repository.js';
import { aTask } from '../../fakes/tasks.js';
import { DISPATCHER_SETTINGS, sqsRecord } from './sqs-fixtures.js';

const settings = DISPATCHER_SETTINGS;

let n = 0;
function record(body: unknown, receiveCount = 1): SQSRecord {
  n++;
  return sqsRecord(body, { id: `m-${n}`, receiveCount });
}
const event = (...records: SQSRecord[]): SQSEvent => ({ Records: records });

function setup(serverCount = 1) {
  const clock = new FixedClock();
  const comfy = Array.from(
    { length: serverCount },
    (_, i) => new FakeComfyClient(`http://s${i}:8188`),
  );
  const tasks = new InMemoryTaskRepository({ clock });
  const queue = new FakeTaskQueue(clock);
  const changes: VisibilityChange[] = [];
  const metrics: string[] = [];
  const visibility = {
    change: async (items: readonly VisibilityChange[]) => void changes.push(...items),
  };
  const handler = createHandler({
    tasks,
    artifacts: new InMemoryArtifactStore(clock),
    queue,
    visibility,
    comfy,
    clock,
    settings,
    random: () => 0.999,
    metrics: { addMetric: (name) => void metrics.push(name), publishStoredMetrics: () => {} },
  });
  return { clock, comfy, tasks, queue, changes, metrics, handler };
}

describe('dispatcher handler', () => {
  beforeAll(() => logger.setLogLevel('SILENT'));

  it('reports only the failed record, and backs its retry off by receive count', async () => {
    const { comfy, tasks, handler, changes, metrics } = setup();
    const ok = aTask();
    const bad = aTask();
    tasks.seed(ok, bad);
    const s = comfy[0];
    if (!s) throw new Error('no server');
    const submit = s.submitPrompt.bind(s);
    s.submitPrompt = async (input) => {
      if (input.promptId === bad.taskId) s.faults.submitPrompt = 'unavailable';
      try {
        return await submit(input);
      } finally {
        s.faults = {};
      }
    };
    const r1 = record({ taskId: ok.taskId });
    const r2 = record({ taskId: bad.taskId }, 3);
    const out = await handler(event(r1, r2));
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: r2.messageId }]);
    expect(changes).toEqual([{ receiptHandle: r2.receiptHandle, seconds: 40 }]);
    expect(metrics.sort()).toEqual(['DispatchRetries', 'TasksDispatched']);
  });

  it('re-sends deferred tasks in one batch with a delay and acknowledges the originals', async () => {
    const { comfy, tasks, queue, handler, metrics } = setup();
    comfy[0]?.busy(2);
    const a = aTask();
    const b = aTask();
    tasks.seed(a, b);
    const out = await handler(
      event(record({ taskId: a.taskId }), record({ taskId: b.taskId, deferrals: 2 })),
    );
    expect(out.batchItemFailures).toEqual([]);
    expect(queue.sent.map((m) => [m.message, m.delaySeconds])).toEqual([
      [{ taskId: a.taskId, deferrals: 1 }, 1],
      [{ taskId: b.taskId, deferrals: 3 }, 4],
    ]);
    expect(metrics).toEqual(['DispatchDeferred', 'DispatchDeferred']);
  });

  it('fails the deferred records when they cannot be re-sent, so SQS keeps them', async () => {
    const { comfy, tasks, queue, handler } = setup();
    comfy[0]?.busy(2);
    const a = aTask();
    tasks.seed(a);
    queue.failNext(new Error('throttled'));
    const r = record({ taskId: a.taskId });
    const out = await handler(event(r));
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: r.messageId }]);
  });

  it('submits a task once when its message appears twice in one batch', async () => {
    const { comfy, tasks, handler } = setup();
    const a = aTask();
    tasks.seed(a);
    const out = await handler(event(record({ taskId: a.taskId }), record({ taskId: a.taskId })));
    expect(out.batchItemFailures).toEqual([]);
    expect(comfy[0]?.submitted).toHaveLength(1);
  });

  it('submits a task once when copies of its message arrive in concurrent batches', async () => {
    const { comfy, tasks, handler } = setup();
    const a = aTask();
    tasks.seed(a);
    const outs = await Promise.all([
      handler(event(record({ taskId: a.taskId }))),
      handler(event(record({ taskId: a.taskId }))),
    ]);
    expect(outs.map((o) => o.batchItemFailures)).toEqual([[], []]);
    expect(comfy[0]?.submitted).toHaveLength(1);
  });

  it('drops a malformed message without failing the batch', async () => {
    const { handler, metrics } = setup();
    const out = await handler(event(record('{"taskId":"../etc"}'), record('not json')));
    expect(out.batchItemFailures).toEqual([]);
    expect(metrics).toEqual(['DispatchDropped', 'DispatchDropped']);
  });

  it('counts a rejected workflow as rejected and failed, and does not retry it', async () => {
    const { comfy, tasks, handler, metrics } = setup();
    const a = aTask();
    tasks.seed(a);
    if (comfy[0]) comfy[0].faults.submitPrompt = 'reject';
    const out = await handler(event(record({ taskId: a.taskId })));
    expect(out.batchItemFailures).toEqual([]);
    expect(metrics.sort()).toEqual(['TasksFailed', 'TasksRejected']);
  });

  it('fails every record, without throwing, when no ComfyUI server answers', async () => {
    const { comfy, tasks, handler, changes } = setup(2);
    for (const c of comfy) c.faults.getQueue = 'unavailable';
    const a = aTask();
    const b = aTask();
    tasks.seed(a, b);
    const out = await handler(event(record({ taskId: a.taskId }), record({ taskId: b.taskId })));
    expect(out.batchItemFailures).toHaveLength(2);
    expect(changes.map((c) => c.seconds)).toEqual([10, 10]);
    expect(tasks.calls.get).toBe(0);
  });
});
