import { describe, expect, it } from 'vitest';
import { createHandler } from '../../../functions/submit/handler.js';
import { DependencyUnavailableError } from '../../../shared/domain/errors.js';
import { aTask, tinyWorkflow } from '../../fakes/tasks.js';
import { apiTestDeps } from '../../helpers/api-deps.js';
import { apiEvent, bodyOf, lambdaContext } from '../../helpers/api-events.js';
import { BAD_SUBMISSIONS } from '../../helpers/bad-submissions.js';

function setup(limits: Parameters<typeof apiTestDeps>[0] = {}) {
  const deps = apiTestDeps(limits);
  const handler = createHandler(deps);
  const submit = (
    body: unknown,
    opts: { headers?: Record<string, string>; owner?: string | null } = {},
  ) => handler(apiEvent({ method: 'POST', path: '/v1/tasks', body, ...opts }), lambdaContext());
  return { deps, submit };
}

const nothingWritten = (deps: ReturnType<typeof apiTestDeps>) => {
  expect(deps.tasks.all()).toEqual([]);
  expect(deps.tasks.calls.create).toBe(0);
  expect(deps.queue.sent).toEqual([]);
};

describe('POST /v1/tasks', () => {
  it('stores a queued task, sends one message and answers 202 with its id', async () => {
    // Prepare
    const { deps, submit } = setup();
    // Act
    const res = await submit({ workflow: tinyWorkflow(), metadata: { userRef: 'u-1' } });
    // Assess
    expect(res.statusCode).toBe(202);
    const body = bodyOf(res);
    expect(body).toEqual({
      taskId: expect.any(String),
      status: 'queued',
      createdAt: deps.clock.iso(),
    });
    const [task] = deps.tasks.all();
    expect(task).toMatchObject({
      taskId: body.taskId,
      owner: 'alice',
      status: 'queued',
      metadata: { userRef: 'u-1' },
    });
    expect(task?.workflow).toEqual(tinyWorkflow());
    expect(deps.queue.sentTaskIds()).toEqual([body.taskId]);
  });

  it('renders a template into the stored workflow', async () => {
    const { deps, submit } = setup();
    const res = await submit({ template: 'txt2img', params: { prompt: 'a lighthouse', seed: 3 } });
    expect(res.statusCode).toBe(202);
    const [task] = deps.tasks.all();
    expect(task?.template).toBe('txt2img');
    expect(task?.workflow['6']?.inputs.text).toBe('a lighthouse');
    expect(task?.workflow['3']?.inputs.seed).toBe(3);
  });

  it('stores the output format asked for, and refuses a bad one or one for a video workflow', async () => {
    const { deps, submit } = setup();
    const ok = await submit({
      template: 'txt2img',
      params: { prompt: 'x' },
      output: { format: 'webp', quality: 70 },
    });
    expect(ok.statusCode).toBe(202);
    expect(deps.tasks.all()[0]?.outputFormat).toEqual({ format: 'webp', quality: 70 });

    const bad = await submit({
      template: 'txt2img',
      params: { prompt: 'x' },
      output: { format: 'gif' },
    });
    expect(bad.statusCode).toBe(400);
    expect(JSON.stringify(bodyOf(bad))).toContain('output');
    const badQuality = await submit({
      workflow: tinyWorkflow(),
      output: { format: 'jpeg', quality: 0 },
    });
    expect(badQuality.statusCode).toBe(400);

    const video = {
      ...tinyWorkflow(),
      '90': { class_type: 'SaveWEBM', inputs: { images: ['1', 0], filename_prefix: 'clip' } },
    };
    const refused = await submit({ workflow: video, output: { format: 'webp' } });
    expect(refused.statusCode).toBe(400);
    const error = (bodyOf(refused) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('OUTPUT_FORMAT_NOT_APPLICABLE');
    expect(error.message).toContain('90 (SaveWEBM) saves video');
    expect(deps.tasks.all()).toHaveLength(1);
  });

  it('takes the owner from a JWT subject as well', async () => {
    const { deps } = setup();
    const handler = createHandler(deps);
    const res = await handler(
      apiEvent({ method: 'POST', body: { workflow: tinyWorkflow() }, jwtSub: 'user|42' }),
      lambdaContext(),
    );
    expect(res.statusCode).toBe(202);
    expect(deps.tasks.all()[0]?.owner).toBe('user|42');
  });

  describe('bad input: a 4xx with its code, and nothing written', () => {
    it.each(BAD_SUBMISSIONS)('$name', async ({ body, status, code, headers }) => {
      // Prepare
      const { deps, submit } = setup();
      // Act
      const res = await submit(body, headers ? { headers } : {});
      // Assess
      expect(res.statusCode).toBe(status);
      const error = bodyOf(res).error;
      expect(error.code).toBe(code);
      expect(error.message).toEqual(expect.any(String));
      nothingWritten(deps);
    });

    it('gives the issue paths in details', async () => {
      const { submit } = setup();
      const res = await submit({ workflow: { '5': { class_type: 'X', inputs: 3 } } });
      expect(bodyOf(res).error.details.issues[0].path).toEqual(['body', 'workflow', '5', 'inputs']);
    });

    it('answers 401 without an owner, before reading the body', async () => {
      const { deps, submit } = setup();
      const res = await submit('{not json', { owner: null });
      expect(res.statusCode).toBe(401);
      expect(bodyOf(res).error.code).toBe('UNAUTHORIZED');
      nothingWritten(deps);
    });
  });

  describe('idempotency', () => {
    it('returns the same task for the same key and body, with one task and one message', async () => {
      const { deps, submit } = setup();
      const headers = { 'idempotency-key': 'order-77' };
      const first = bodyOf(
        await submit({ workflow: tinyWorkflow(), metadata: { a: 1, b: 2 } }, { headers }),
      );
      // The same body with keys in another order is the same request.
      const again = await submit(
        { metadata: { b: 2, a: 1 }, workflow: tinyWorkflow() },
        { headers },
      );
      expect(again.statusCode).toBe(202);
      expect(bodyOf(again).taskId).toBe(first.taskId);
      expect(deps.tasks.all()).toHaveLength(1);
      expect(deps.queue.sent).toHaveLength(1);
    });

    it('answers 409 IDEMPOTENCY_KEY_REUSED for the same key with another body', async () => {
      const { deps, submit } = setup();
      const headers = { 'idempotency-key': 'order-77' };
      await submit({ workflow: tinyWorkflow() }, { headers });
      const res = await submit({ template: 'txt2img', params: { prompt: 'x' } }, { headers });
      expect(res.statusCode).toBe(409);
      expect(bodyOf(res).error.code).toBe('IDEMPOTENCY_KEY_REUSED');
      expect(deps.tasks.all()).toHaveLength(1);
      expect(deps.queue.sent).toHaveLength(1);
    });

    it('keeps keys of different owners apart', async () => {
      const { deps, submit } = setup();
      const headers = { 'idempotency-key': 'k1' };
      const a = bodyOf(await submit({ workflow: tinyWorkflow() }, { headers, owner: 'alice' }));
      const b = bodyOf(await submit({ workflow: tinyWorkflow() }, { headers, owner: 'bob' }));
      expect(a.taskId).not.toBe(b.taskId);
      expect(deps.queue.sent).toHaveLength(2);
    });
  });

  describe('when the queue fails', () => {
    it('with a key: 503, the task stays queued, and a retry with the key re-sends it once', async () => {
      // Prepare
      const { deps, submit } = setup();
      const headers = { 'idempotency-key': 'retry-me' };
      deps.queue.failNext(new DependencyUnavailableError('SQS down'));
      // Act
      const failed = await submit({ workflow: tinyWorkflow() }, { headers });
      const retried = await submit({ workflow: tinyWorkflow() }, { headers });
      const replayed = await submit({ workflow: tinyWorkflow() }, { headers });
      // Assess
      expect(failed.statusCode).toBe(503);
      expect(bodyOf(failed).error.message).toMatch(/same Idempotency-Key/);
      expect(retried.statusCode).toBe(202);
      expect(replayed.statusCode).toBe(202);
      const [task] = deps.tasks.all();
      expect(task?.status).toBe('queued');
      expect(task?.enqueuePending).toBeUndefined();
      expect(deps.queue.sentTaskIds()).toEqual([task?.taskId]);
    });

    it('killed between storing and sending: the task stays queued with no message, and a retry with the key returns it without sending one', async () => {
      // Prepare: the fault-injection point the chaos run uses to play a submit that dies there.
      const deps = apiTestDeps();
      const killed = new Set<string>();
      let kill = true;
      const handler = createHandler({
        ...deps,
        afterStore: async (task) => {
          if (!kill) return;
          killed.add(task.taskId);
          throw new Error('killed');
        },
      });
      const headers = { 'idempotency-key': 'dies-after-store' };
      const submit = () =>
        handler(
          apiEvent({
            method: 'POST',
            path: '/v1/tasks',
            body: { workflow: tinyWorkflow() },
            headers,
          }),
          lambdaContext(),
        );
      // Act
      const died = await submit();
      kill = false;
      const retried = await submit();
      // Assess
      expect(died.statusCode).toBe(500);
      expect(retried.statusCode).toBe(202);
      const [task] = deps.tasks.all();
      expect(deps.tasks.all()).toHaveLength(1);
      expect([...killed]).toEqual([task?.taskId]);
      expect(bodyOf(retried).taskId).toBe(task?.taskId);
      expect(task?.status).toBe('queued');
      // Only the sweeper of queued tasks can end it now.
      expect(deps.queue.sent).toEqual([]);
    });

    it('without a key: 503 and the unreachable task is failed with ENQUEUE_FAILED', async () => {
      const { deps, submit } = setup();
      deps.queue.failNext(new Error('socket hang up'));
      const res = await submit({ workflow: tinyWorkflow() });
      expect(res.statusCode).toBe(503);
      expect(bodyOf(res).error.code).toBe('DEPENDENCY_UNAVAILABLE');
      expect(deps.tasks.all()[0]).toMatchObject({
        status: 'failed',
        error: { code: 'ENQUEUE_FAILED' },
      });
    });
  });

  describe('per-owner cap on active tasks', () => {
    it('answers 429 TOO_MANY_ACTIVE_TASKS at the cap and counts only active tasks of the caller', async () => {
      // Prepare
      const { deps, submit } = setup({ maxActiveTasksPerOwner: 2 });
      deps.tasks.seed(
        aTask({ owner: 'alice', status: 'running' }),
        aTask({ owner: 'alice', status: 'succeeded' }),
        aTask({ owner: 'bob', status: 'queued' }),
      );
      // Act
      const second = await submit({ workflow: tinyWorkflow() });
      const third = await submit({ workflow: tinyWorkflow() });
      // Assess
      expect(second.statusCode).toBe(202);
      expect(third.statusCode).toBe(429);
      expect(bodyOf(third).error.code).toBe('TOO_MANY_ACTIVE_TASKS');
      expect(deps.queue.sent).toHaveLength(1);
    });
  });
});

describe('POST /v1/tasks, hostile shapes', () => {
  it('refuses a body nested 200,000 levels deep with 400 BODY_TOO_DEEP, not 500', async () => {
    // Prepare
    const { deps, submit } = setup();
    const deep = `{"workflow":${'['.repeat(200_000)}${']'.repeat(200_000)}}`;
    // Act
    const res = await submit(deep);
    // Assess
    expect(res.statusCode).toBe(400);
    expect(bodyOf(res).error).toMatchObject({ code: 'BODY_TOO_DEEP', details: { limit: 64 } });
    nothingWritten(deps);
  });

  it('ignores brackets inside strings when measuring depth', async () => {
    // Prepare
    const { submit } = setup();
    const wf = tinyWorkflow();
    (wf['2'] as { inputs: Record<string, unknown> }).inputs.filename_prefix = `x${'['.repeat(100)}`;
    // Act
    const res = await submit({ workflow: wf });
    // Assess
    expect(res.statusCode).toBe(202);
  });

  it('applies the owner limits the API key authorizer passes in its context', async () => {
    // Prepare
    const { submit } = setup();
    const wf = tinyWorkflow();
    const event = (limits: string) => {
      const e = apiEvent({ method: 'POST', path: '/v1/tasks', body: { workflow: wf } });
      (e.requestContext as unknown as { authorizer: unknown }).authorizer = {
        lambda: { owner: 'alice', limits },
      };
      return e;
    };
    const handler = createHandler(apiTestDeps());
    // Act
    const tight = await handler(event('{"pixels":100}'), lambdaContext());
    const garbled = await handler(event('{"pixels":"x"'), lambdaContext());
    const normal = await submit({ workflow: wf });
    // Assess
    expect(tight.statusCode).toBe(400);
    expect(bodyOf(tight).error.details).toMatchObject({ limit: 'pixels', max: 100, value: 4096 });
    expect(garbled.statusCode).toBe(202);
    expect(normal.statusCode).toBe(202);
  });
});
