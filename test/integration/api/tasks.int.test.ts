import { PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { tinyWorkflow } from '../../fakes/tasks.js';
import { bodyOf } from '../../helpers/api-events.js';
import { type ApiStack, createApiStack } from '../../helpers/api-stack.js';

describe('status, list, cancel and templates through DynamoDB and S3', () => {
  let api: ApiStack;
  const submit = async (owner: string, metadata?: Record<string, unknown>) =>
    bodyOf(
      await api.submit({ workflow: tinyWorkflow(), ...(metadata ? { metadata } : {}) }, { owner }),
    ).taskId as string;
  beforeAll(async () => {
    api = await createApiStack({ OUTPUT_URL_TTL_SECONDS: '120' });
  });

  it('shows a succeeded task with presigned links that download its outputs', async () => {
    // Prepare: the task runs and the poller records an output (as the poller would).
    const taskId = await submit('viewer');
    const key = `outputs/viewer/${taskId}/2/test_00001_.png`;
    await api.stack.clients.s3.send(
      new PutObjectCommand({
        Bucket: api.stack.names.bucket,
        Key: key,
        Body: 'PNGDATA',
        ContentType: 'image/png',
      }),
    );
    const { tasks } = api.deps;
    await tasks.update(
      taskId,
      { status: 'queued' },
      { status: 'running', startedAt: new Date().toISOString() },
    );
    await tasks.update(
      taskId,
      { status: 'running' },
      {
        status: 'succeeded',
        finishedAt: new Date().toISOString(),
        outputs: [
          {
            nodeId: '2',
            filename: 'test_00001_.png',
            subfolder: '',
            type: 'output',
            s3Key: key,
            contentType: 'image/png',
            size: 7,
          },
        ],
      },
    );
    // Act
    const res = await api.status(taskId, 'viewer');
    // Assess
    expect(res.statusCode).toBe(200);
    const view = bodyOf(res);
    expect(view).toMatchObject({
      taskId,
      status: 'succeeded',
      startedAt: expect.any(String),
      finishedAt: expect.any(String),
    });
    const [out] = view.outputs;
    expect(out).toMatchObject({
      nodeId: '2',
      filename: 'test_00001_.png',
      contentType: 'image/png',
      size: 7,
    });
    expect(Date.parse(out.expiresAt) - Date.now()).toBeLessThanOrEqual(120_000);
    expect(out.url).toContain('X-Amz-Signature=');
    const download = await fetch(out.url);
    expect(download.status).toBe(200);
    expect(await download.text()).toBe('PNGDATA');
  });

  it("answers another owner's task ids like unknown ones on status and cancel", async () => {
    const taskId = await submit('owner-a');
    const unknown = '00000000-0000-4000-8000-00000000abcd';
    for (const res of [await api.status(taskId, 'owner-b'), await api.cancel(taskId, 'owner-b')]) {
      expect(res.statusCode).toBe(404);
      expect(bodyOf(res).error.code).toBe('TASK_NOT_FOUND');
    }
    expect(bodyOf(await api.status(unknown, 'owner-b')).error.code).toBe('TASK_NOT_FOUND');
    expect((await api.deps.tasks.get(taskId))?.status).toBe('queued');
    expect(bodyOf(await api.status('nope', 'owner-b')).error.code).toBe('INVALID_TASK_ID');
  });

  it('lists newest first in pages, filters by status, and refuses cursors of others', async () => {
    // Prepare
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await submit('lister', { i }));
    await submit('someone-else');
    await api.cancel(ids[0] as string, 'lister');
    // Act
    const first = bodyOf(await api.list({ limit: '2' }, 'lister'));
    const second = bodyOf(await api.list({ limit: '2', cursor: first.nextCursor }, 'lister'));
    const cancelled = bodyOf(await api.list({ status: 'cancelled' }, 'lister'));
    // Assess
    const listed = [...first.items, ...second.items].map((t: { taskId: string }) => t.taskId);
    expect(listed).toEqual([...ids].reverse());
    expect(second.nextCursor).toBeUndefined();
    expect(first.items[0].metadata).toEqual({ i: 2 });
    expect(cancelled.items.map((t: { taskId: string }) => t.taskId)).toEqual([ids[0]]);
    const stolen = await api.list({ limit: '2', cursor: first.nextCursor }, 'someone-else');
    expect(stolen.statusCode).toBe(400);
    expect(bodyOf(stolen).error.code).toBe('INVALID_CURSOR');
    const forged = await api.list({ cursor: 'eyJvIjoibGlzdGVyIn0' }, 'lister');
    expect(bodyOf(forged).error.code).toBe('INVALID_CURSOR');
    expect(bodyOf(await api.list({ limit: '500' }, 'lister')).error.code).toBe('INVALID_REQUEST');
  });

  it('cancels: queued at once, at ComfyUI by request, cancelled again as a no-op, finished never', async () => {
    const queued = await submit('canceller');
    const running = await submit('canceller');
    const done = await submit('canceller');
    await api.deps.tasks.update(running, { status: 'queued' }, { status: 'running' });
    await api.deps.tasks.update(
      done,
      { status: 'queued' },
      { status: 'failed', error: { code: 'X', message: 'x' } },
    );

    const a = await api.cancel(queued, 'canceller');
    expect(a.statusCode).toBe(200);
    expect(bodyOf(a).status).toBe('cancelled');
    expect((await api.cancel(queued, 'canceller')).statusCode).toBe(200);

    const b = await api.cancel(running, 'canceller');
    expect(b.statusCode).toBe(202);
    expect(bodyOf(b)).toMatchObject({ status: 'running', cancelRequested: true });
    expect((await api.deps.tasks.get(running))?.cancelRequested).toBe(true);

    const c = await api.cancel(done, 'canceller');
    expect(c.statusCode).toBe(409);
    expect(bodyOf(c).error.code).toBe('TASK_NOT_CANCELLABLE');
  });

  it('lists the templates with their params schemas', async () => {
    const res = await api.templates();
    expect(res.statusCode).toBe(200);
    expect(bodyOf(res).items.map((t: { name: string }) => t.name)).toEqual(['txt2img', 'img2img']);
  });
});
