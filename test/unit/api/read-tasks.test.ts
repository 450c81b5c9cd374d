import { describe, expect, it } from 'vitest';
import { createHandler as createList } from '../../../functions/list/handler.js';
import { createHandler as createStatus } from '../../../functions/status/handler.js';
import { aTask } from '../../fakes/tasks.js';
import { apiTestDeps } from '../../helpers/api-deps.js';
import { apiEvent, bodyOf, lambdaContext } from '../../helpers/api-events.js';

const ID = '00000000-0000-4000-8000-00000000000a';

function setup() {
  const deps = apiTestDeps();
  const status = (taskId: string, owner = 'alice') =>
    createStatus(deps)(
      apiEvent({ path: `/v1/tasks/${taskId}`, pathParameters: { taskId }, owner }),
      lambdaContext(),
    );
  const list = (query: Record<string, string> = {}, owner = 'alice') =>
    createList(deps)(apiEvent({ path: '/v1/tasks', query, owner }), lambdaContext());
  return { deps, status, list };
}

describe('GET /v1/tasks/{taskId}', () => {
  it('shows a finished task with presigned output links, times, error-free, and its metadata', async () => {
    // Prepare
    const { deps, status } = setup();
    deps.tasks.seed(
      aTask({
        taskId: ID,
        status: 'succeeded',
        startedAt: '2026-01-01T00:00:01.000Z',
        finishedAt: '2026-01-01T00:00:09.000Z',
        metadata: { ref: 7 },
        outputs: [
          {
            nodeId: '9',
            filename: 'out_00001_.png',
            subfolder: 'x',
            type: 'output',
            s3Key: `outputs/alice/${ID}/9/out_00001_.png`,
            contentType: 'image/png',
            size: 3,
          },
        ],
      }),
    );
    deps.artifacts.seed(`outputs/alice/${ID}/9/out_00001_.png`, 'png', 'image/png');
    // Act
    const res = await status(ID);
    // Assess
    expect(res.statusCode).toBe(200);
    const view = bodyOf(res);
    expect(view).toMatchObject({
      taskId: ID,
      status: 'succeeded',
      startedAt: '2026-01-01T00:00:01.000Z',
      finishedAt: '2026-01-01T00:00:09.000Z',
      metadata: { ref: 7 },
    });
    expect(view.error).toBeUndefined();
    expect(view.workflow).toBeUndefined();
    const [out] = view.outputs;
    expect(out).toMatchObject({
      nodeId: '9',
      filename: 'out_00001_.png',
      contentType: 'image/png',
      size: 3,
    });
    expect(out.expiresAt).toBe(new Date(deps.clock.now() + 3600_000).toISOString());
    expect(deps.artifacts.usePresigned(out.url, { method: 'GET' }).body?.toString()).toBe('png');
  });

  it('shows why a task failed, and its place in ComfyUI’s queue while dispatched', async () => {
    const { deps, status } = setup();
    const failed = aTask({
      status: 'failed',
      error: { code: 'COMFYUI_REJECTED', message: 'bad', nodeId: '3', nodeType: 'KSampler' },
    });
    const waiting = aTask({ status: 'dispatched', queuePosition: 2 });
    deps.tasks.seed(failed, waiting);
    expect(bodyOf(await status(failed.taskId)).error).toEqual({
      code: 'COMFYUI_REJECTED',
      message: 'bad',
      nodeId: '3',
      nodeType: 'KSampler',
    });
    expect(bodyOf(await status(waiting.taskId)).queuePosition).toBe(2);
  });

  it("answers another owner's task exactly like an unknown one", async () => {
    const { deps, status } = setup();
    deps.tasks.seed(aTask({ taskId: ID, owner: 'bob' }));
    const theirs = await status(ID, 'alice');
    const unknown = await status('00000000-0000-4000-8000-0000000000ff', 'alice');
    expect(theirs.statusCode).toBe(404);
    expect(bodyOf(theirs).error.code).toBe('TASK_NOT_FOUND');
    expect(unknown.statusCode).toBe(404);
    expect(bodyOf(theirs).error.message.replace(ID, '<id>')).toBe(
      bodyOf(unknown).error.message.replace('00000000-0000-4000-8000-0000000000ff', '<id>'),
    );
  });

  it.each(['not-a-uuid', ID.toUpperCase(), `${ID}x`, "'; DROP TABLE"])(
    'answers 400 INVALID_TASK_ID for %s',
    async (taskId) => {
      const { deps, status } = setup();
      const res = await status(taskId);
      expect(res.statusCode).toBe(400);
      expect(bodyOf(res).error.code).toBe('INVALID_TASK_ID');
      expect(deps.tasks.calls.get).toBe(0);
    },
  );
});

describe('GET /v1/tasks', () => {
  const seedMany = (deps: ReturnType<typeof apiTestDeps>) => {
    for (let i = 0; i < 5; i++) {
      deps.tasks.seed(
        aTask({
          owner: 'alice',
          createdAt: `2026-01-01T00:00:0${i}.000Z`,
          status: i % 2 ? 'succeeded' : 'queued',
        }),
      );
    }
    deps.tasks.seed(aTask({ owner: 'bob' }));
  };

  it("pages through the caller's tasks, newest first, without other owners' tasks", async () => {
    // Prepare
    const { deps, list } = setup();
    seedMany(deps);
    // Act
    const first = bodyOf(await list({ limit: '2' }));
    const second = bodyOf(await list({ limit: '2', cursor: first.nextCursor }));
    const third = bodyOf(await list({ limit: '2', cursor: second.nextCursor }));
    // Assess
    const created = [...first.items, ...second.items, ...third.items].map((t) => t.createdAt);
    expect(created).toEqual([4, 3, 2, 1, 0].map((i) => `2026-01-01T00:00:0${i}.000Z`));
    expect(third.nextCursor).toBeUndefined();
  });

  it('filters by status', async () => {
    const { deps, list } = setup();
    seedMany(deps);
    const res = bodyOf(await list({ status: 'succeeded' }));
    expect(res.items.map((t: { status: string }) => t.status)).toEqual(['succeeded', 'succeeded']);
  });

  it.each<[string, Record<string, string>, string]>([
    ['an unknown status', { status: 'done' }, 'INVALID_REQUEST'],
    ['a limit of 0', { limit: '0' }, 'INVALID_REQUEST'],
    ['a limit over 100', { limit: '101' }, 'INVALID_REQUEST'],
    ['a limit that is not a number', { limit: 'ten' }, 'INVALID_REQUEST'],
    ['an unknown parameter', { owner: 'bob' }, 'INVALID_REQUEST'],
    ['a cursor with odd characters', { cursor: 'abc$%' }, 'INVALID_CURSOR'],
    ['a cursor that decodes to nothing', { cursor: 'AAAA' }, 'INVALID_CURSOR'],
  ])('answers 400 for %s', async (_name, query, code) => {
    const { list } = setup();
    const res = await list(query);
    expect(res.statusCode).toBe(400);
    expect(bodyOf(res).error.code).toBe(code);
  });

  it('rejects a cursor made for another owner or another filter', async () => {
    const { deps, list } = setup();
    seedMany(deps);
    const cursor = bodyOf(await list({ limit: '1' })).nextCursor;
    const asBob = await list({ limit: '1', cursor }, 'bob');
    const otherFilter = await list({ limit: '1', cursor, status: 'queued' });
    expect(bodyOf(asBob).error.code).toBe('INVALID_CURSOR');
    expect(bodyOf(otherFilter).error.code).toBe('INVALID_CURSOR');
  });
});

describe('a failed task, as its owner sees it', () => {
  it('holds no host path and no server file list, in status and list alike', async () => {
    // Prepare
    const { deps, status, list } = setup();
    deps.tasks.seed(
      aTask({
        taskId: ID,
        status: 'failed',
        finishedAt: '2026-01-01T00:00:09.000Z',
        error: {
          code: 'COMFYUI_EXECUTION_ERROR',
          message: "[Errno 21] Is a directory: '/srv/comfyui/input/../output'",
          nodeId: '10',
          details: { hint: "image: 'a.png' not in ['bob_secret.png', 'carol.png']" },
        },
      }),
    );
    // Act
    const one = await status(ID);
    const many = await list();
    // Assess
    for (const res of [one, many]) {
      expect(res.statusCode).toBe(200);
      expect(res.body).not.toMatch(/srv\/comfyui|bob_secret|carol\.png/);
    }
    expect(bodyOf(one).error).toMatchObject({
      code: 'COMFYUI_EXECUTION_ERROR',
      message: "[Errno 21] Is a directory: '<path>'",
      nodeId: '10',
    });
  });
});
