import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SqsTaskQueue } from '../../../shared/adapters/sqs/task-queue.js';
import { tinyWorkflow } from '../../fakes/tasks.js';
import { bodyOf } from '../../helpers/api-events.js';
import { type ApiStack, createApiStack } from '../../helpers/api-stack.js';
import { BAD_SUBMISSIONS } from '../../helpers/bad-submissions.js';

describe('POST /v1/tasks through DynamoDB and SQS', () => {
  let api: ApiStack;
  beforeAll(async () => {
    api = await createApiStack({ MAX_ACTIVE_TASKS_PER_OWNER: '2' });
  });
  beforeEach(async () => {
    await api.drainQueue();
  });

  it('stores the task, queues exactly one message, and shows it as queued', async () => {
    // Act
    const res = await api.submit(
      { template: 'txt2img', params: { prompt: 'a fox' }, metadata: { ref: 'r1' } },
      { owner: 'sub-ok' },
    );
    // Assess
    expect(res.statusCode).toBe(202);
    const { taskId, status, createdAt } = bodyOf(res);
    expect(status).toBe('queued');
    expect(await api.drainQueue()).toEqual([taskId]);
    const stored = await api.deps.tasks.get(taskId);
    expect(stored).toMatchObject({
      owner: 'sub-ok',
      template: 'txt2img',
      createdAt,
      metadata: { ref: 'r1' },
    });
    expect(stored?.workflow['6']?.inputs.text).toBe('a fox');
    const view = bodyOf(await api.status(taskId, 'sub-ok'));
    expect(view).toMatchObject({ taskId, status: 'queued', metadata: { ref: 'r1' }, outputs: [] });
  });

  it('same key and body: the same task and one message; same key, other body: 409', async () => {
    const headers = { 'idempotency-key': 'idem-1' };
    const a = await api.submit({ workflow: tinyWorkflow() }, { owner: 'idem', headers });
    const b = await api.submit({ workflow: tinyWorkflow() }, { owner: 'idem', headers });
    const c = await api.submit(
      { workflow: { ...tinyWorkflow(), '3': { class_type: 'X', inputs: {} } } },
      { owner: 'idem', headers },
    );
    expect(a.statusCode).toBe(202);
    expect(bodyOf(b).taskId).toBe(bodyOf(a).taskId);
    expect(c.statusCode).toBe(409);
    expect(bodyOf(c).error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await api.drainQueue()).toEqual([bodyOf(a).taskId]);
    expect(bodyOf(await api.list({}, 'idem')).items).toHaveLength(1);
  });

  it('answers 429 once the owner has the most active tasks allowed', async () => {
    const owner = 'capped';
    expect((await api.submit({ workflow: tinyWorkflow() }, { owner })).statusCode).toBe(202);
    expect((await api.submit({ workflow: tinyWorkflow() }, { owner })).statusCode).toBe(202);
    const third = await api.submit({ workflow: tinyWorkflow() }, { owner });
    expect(third.statusCode).toBe(429);
    expect(bodyOf(third).error.code).toBe('TOO_MANY_ACTIVE_TASKS');
    expect(await api.drainQueue()).toHaveLength(2);
    // Someone else is not affected.
    expect((await api.submit({ workflow: tinyWorkflow() }, { owner: 'other' })).statusCode).toBe(
      202,
    );
  });
});

describe('when SQS refuses the message', () => {
  let api: ApiStack;
  beforeAll(async () => {
    api = await createApiStack();
  });

  it('keeps a keyed task queued and re-sends it once on the retry with the same key', async () => {
    // Prepare: a queue adapter pointed at a queue that does not exist.
    const broken = new SqsTaskQueue({
      client: api.stack.clients.sqs,
      queueUrl: `${api.stack.names.queueUrl}-missing`,
    });
    const headers = { 'idempotency-key': 'sqs-down-1' };
    // Act
    const failed = await api.submitWith(
      { queue: broken },
      { workflow: tinyWorkflow() },
      { headers },
    );
    const [stored] = bodyOf(await api.list()).items;
    const pending = await api.deps.tasks.get(stored.taskId);
    const retried = await api.submit({ workflow: tinyWorkflow() }, { headers });
    const replayed = await api.submit({ workflow: tinyWorkflow() }, { headers });
    // Assess
    expect(failed.statusCode).toBe(503);
    expect(bodyOf(failed).error.code).toBe('DEPENDENCY_UNAVAILABLE');
    expect(pending).toMatchObject({ status: 'queued', enqueuePending: true });
    expect(bodyOf(retried).taskId).toBe(stored.taskId);
    expect(bodyOf(replayed).taskId).toBe(stored.taskId);
    expect(await api.drainQueue()).toEqual([stored.taskId]);
    expect((await api.deps.tasks.get(stored.taskId))?.enqueuePending).toBeUndefined();
  });

  it('fails an unkeyed task the caller could not find again', async () => {
    const broken = new SqsTaskQueue({
      client: api.stack.clients.sqs,
      queueUrl: `${api.stack.names.queueUrl}-missing`,
    });
    const res = await api.submitWith(
      { queue: broken },
      { workflow: tinyWorkflow() },
      { owner: 'nokey' },
    );
    expect(res.statusCode).toBe(503);
    const [task] = bodyOf(await api.list({}, 'nokey')).items;
    expect(task).toMatchObject({ status: 'failed', error: { code: 'ENQUEUE_FAILED' } });
  });
});

describe('bad submissions through the real adapters', () => {
  let api: ApiStack;
  beforeAll(async () => {
    api = await createApiStack();
  });

  it.each(BAD_SUBMISSIONS)(
    '$name: $status $code, nothing stored or queued',
    async ({ body, status, code, headers }) => {
      const res = await api.submit(body, headers ? { headers } : {});
      expect(res.statusCode).toBe(status);
      expect(bodyOf(res).error.code).toBe(code);
      expect(await api.tableItems()).toBe(0);
      expect(await api.drainQueue()).toEqual([]);
    },
  );
});
