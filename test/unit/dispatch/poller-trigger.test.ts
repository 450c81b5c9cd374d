import { beforeAll, describe, expect, it } from 'vitest';
import { createHandler } from '../../../functions/dispatcher/handler.js';
import { LambdaPollerTrigger } from '../../../shared/adapters/lambda/poller-trigger.js';
import { DependencyUnavailableError } from '../../../shared/domain/errors.js';
import { logger } from '../../../shared/observability.js';
import { POLLER_KICK_SOURCE } from '../../../shared/ports/poller-trigger.js';
import { FakeComfyClient } from '../../fakes/fake-comfy-client.js';
import { FakeTaskQueue } from '../../fakes/fake-task-queue.js';
import { FixedClock } from '../../fakes/fixed-clock.js';
import { InMemoryArtifactStore } from '../../fakes/in-memory-artifact-store.js';
import { InMemoryTaskRepository } from '../../fakes/in-memory-task-repository.js';
import { aTask } from '../../fakes/tasks.js';
import { DISPATCHER_SETTINGS, sqsRecord } from './sqs-fixtures.js';

const record = (taskId: string, id: string) => sqsRecord({ taskId }, { id });

function setup(kick: () => Promise<void>) {
  const clock = new FixedClock();
  const comfy = new FakeComfyClient('http://s0:8188');
  const tasks = new InMemoryTaskRepository({ clock });
  const kicks: number[] = [];
  const handler = createHandler({
    tasks,
    artifacts: new InMemoryArtifactStore(clock),
    queue: new FakeTaskQueue(clock),
    visibility: { change: async () => {} },
    comfy: [comfy],
    clock,
    settings: DISPATCHER_SETTINGS,
    random: () => 0.5,
    metrics: { addMetric: () => {}, publishStoredMetrics: () => {} },
    pollerTrigger: {
      kick: async () => {
        kicks.push(clock.now());
        await kick();
      },
    },
  });
  return { comfy, tasks, handler, kicks };
}

describe('dispatcher kicks the poller', () => {
  beforeAll(() => logger.setLogLevel('SILENT'));

  it('once per batch that handed tasks to ComfyUI', async () => {
    const s = setup(async () => {});
    const a = aTask();
    const b = aTask();
    s.tasks.seed(a, b);
    await s.handler({ Records: [record(a.taskId, '1'), record(b.taskId, '2')] });
    expect(s.kicks).toHaveLength(1);
  });

  it('not when nothing was dispatched (ComfyUI full: the tasks are deferred)', async () => {
    const s = setup(async () => {});
    s.comfy.busy(2);
    const a = aTask();
    s.tasks.seed(a);
    await s.handler({ Records: [record(a.taskId, '1')] });
    expect(s.kicks).toHaveLength(0);
  });

  it('and a failed kick fails no record', async () => {
    const s = setup(async () => {
      throw new Error('lambda throttled');
    });
    const a = aTask();
    s.tasks.seed(a);
    const out = await s.handler({ Records: [record(a.taskId, '1')] });
    expect(out.batchItemFailures).toEqual([]);
    expect((await s.tasks.get(a.taskId))?.status).toBe('dispatched');
  });
});

describe('LambdaPollerTrigger', () => {
  it('invokes the poller asynchronously, at most once per interval, and again after a failure', async () => {
    const clock = new FixedClock();
    const sent: { FunctionName?: string; InvocationType?: string; Payload?: Uint8Array }[] = [];
    let fail = false;
    const client = {
      send: async (cmd: { input: (typeof sent)[number] }) => {
        if (fail)
          throw Object.assign(new Error('rate'), {
            name: 'TooManyRequestsException',
            $metadata: { httpStatusCode: 429 },
          });
        sent.push(cmd.input);
        return {};
      },
    };
    const trigger = new LambdaPollerTrigger({
      client: client as never,
      functionName: 'poller-fn',
      clock,
      minIntervalMs: 10_000,
    });
    await trigger.kick();
    await trigger.kick();
    expect(sent).toHaveLength(1);
    expect(sent[0]?.FunctionName).toBe('poller-fn');
    expect(sent[0]?.InvocationType).toBe('Event');
    expect(JSON.parse(new TextDecoder().decode(sent[0]?.Payload))).toEqual({
      source: POLLER_KICK_SOURCE,
    });
    clock.advance(10_000);
    fail = true;
    await expect(trigger.kick()).rejects.toBeInstanceOf(DependencyUnavailableError);
    fail = false;
    await trigger.kick();
    expect(sent).toHaveLength(2);
  });
});
