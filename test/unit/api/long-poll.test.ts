import { describe, expect, it } from 'vitest';
import { createHandler } from '../../../functions/status/handler.js';
import { aTask } from '../../fakes/tasks.js';
import { apiTestDeps } from '../../helpers/api-deps.js';
import { apiEvent, bodyOf, lambdaContext } from '../../helpers/api-events.js';

const ID = '00000000-0000-4000-8000-00000000000b';

/** The waiting request's sleeps move the fixed clock; `onSleep` changes the task meanwhile. */
function setup(onSleep: (sleptMs: number) => Promise<void> = async () => undefined) {
  const deps = apiTestDeps();
  let slept = 0;
  let reads = 0;
  const sleep = async (ms: number) => {
    slept += ms;
    deps.clock.advance(ms);
    await onSleep(slept);
  };
  const tasks = deps.tasks;
  const get = tasks.get.bind(tasks);
  tasks.get = async (id: string) => {
    reads++;
    return get(id);
  };
  const handler = createHandler({ ...deps, sleep, longPollIntervalMs: 500 });
  const call = (query: Record<string, string>) =>
    handler(
      apiEvent({ path: `/v1/tasks/${ID}`, pathParameters: { taskId: ID }, query }),
      lambdaContext(),
    );
  return { deps, call, slept: () => slept, reads: () => reads };
}

describe('GET /v1/tasks/{taskId}?wait=N (long polling)', () => {
  it('answers as soon as the task changes after `since`', async () => {
    const s = setup(async (slept) => {
      if (slept === 1500)
        await s.deps.tasks.update(ID, { status: 'dispatched' }, { status: 'running' });
    });
    s.deps.tasks.seed(aTask({ taskId: ID, status: 'dispatched', version: 3 }));
    const res = await s.call({ wait: '20', since: '3' });
    expect(res.statusCode).toBe(200);
    expect(bodyOf(res)).toMatchObject({ status: 'running', version: 4 });
    expect(s.slept()).toBe(1500);
    expect(s.reads()).toBe(4);
  });

  it('answers at once when the task is already past `since`, or finished', async () => {
    const s = setup();
    s.deps.tasks.seed(aTask({ taskId: ID, status: 'running', version: 7 }));
    expect(bodyOf(await s.call({ wait: '20', since: '5' })).version).toBe(7);
    expect(s.slept()).toBe(0);
    s.deps.tasks.seed(aTask({ taskId: ID, status: 'succeeded', version: 9 }));
    expect(bodyOf(await s.call({ wait: '20', since: '9' })).status).toBe('succeeded');
    expect(s.slept()).toBe(0);
  });

  it('answers with the task as it is after N seconds without a change', async () => {
    const s = setup();
    s.deps.tasks.seed(aTask({ taskId: ID, status: 'queued', version: 2 }));
    const res = await s.call({ wait: '3' });
    expect(bodyOf(res)).toMatchObject({ status: 'queued', version: 2 });
    expect(s.slept()).toBe(3000);
  });

  it.each<Record<string, string>>([
    { wait: '21' },
    { wait: '-1' },
    { wait: 'soon' },
    { since: 'x' },
    { waitt: '3' },
  ])('refuses %j with 400', async (query) => {
    const s = setup();
    s.deps.tasks.seed(aTask({ taskId: ID }));
    const res = await s.call(query);
    expect(res.statusCode).toBe(400);
    expect(bodyOf(res).error.code).toBe('INVALID_REQUEST');
  });

  it("is a 404 for another owner's task, without waiting", async () => {
    const s = setup();
    s.deps.tasks.seed(aTask({ taskId: ID, owner: 'bob' }));
    const res = await s.call({ wait: '20' });
    expect(res.statusCode).toBe(404);
    expect(s.slept()).toBe(0);
  });
});
