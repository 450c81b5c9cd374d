/**
 * The TaskRepository contract, run against the in-memory fake (unit) and the DynamoDB adapter
 * (integration), so the fake cannot drift from the real thing. Every test uses its own owners, so a
 * factory may hand back repositories over one shared table.
 */
import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  IdempotencyKeyReusedError,
  InvalidRequestError,
  InvalidTransitionError,
  TaskNotFoundError,
  TaskStateConflictError,
} from '../../shared/domain/errors.js';
import type { Task } from '../../shared/domain/task.js';
import type { TaskRepository } from '../../shared/ports/task-repository.js';
import type { FixedClock } from '../fakes/fixed-clock.js';
import { aTask } from '../fakes/tasks.js';

export interface TaskRepositorySubject {
  repo: TaskRepository;
  /** The clock the repository uses for updatedAt, TTLs and idempotency expiry. */
  clock: FixedClock;
}

const minute = 60_000;
const at = (i: number) =>
  new Date(Date.parse('2026-01-01T00:00:00.000Z') + i * minute).toISOString();
const summaryOf = (t: Task) => {
  const { workflow: _w, idempotencyKey: _k, ...rest } = t;
  return rest;
};

export function taskRepositoryContract(makeSubject: () => Promise<TaskRepositorySubject>): void {
  let repo: TaskRepository;
  let clock: FixedClock;
  let owner: string;
  beforeEach(async () => {
    ({ repo, clock } = await makeSubject());
    owner = `owner-${randomUUID()}`;
  });

  describe('create and get', () => {
    it('stores a task and returns it whole, workflow included', async () => {
      const task = aTask({ owner, metadata: { app: 'web', n: 1 }, template: 'txt2img' });
      const result = await repo.create(task);
      expect(result).toEqual({ created: true, task });
      expect(await repo.get(task.taskId)).toEqual(task);
    });

    it('returns undefined for an unknown task', async () => {
      expect(await repo.get(randomUUID())).toBeUndefined();
    });

    it('refuses a second task with the same id', async () => {
      const task = aTask({ owner });
      await repo.create(task);
      await expect(repo.create({ ...task, owner: `${owner}-x` })).rejects.toBeInstanceOf(
        TaskStateConflictError,
      );
      expect((await repo.get(task.taskId))?.owner).toBe(owner);
    });
  });

  describe('idempotency', () => {
    it('returns the existing task for the same key and body, creating nothing', async () => {
      const first = aTask({ owner });
      const claim = { key: 'k-1', bodyHash: 'hash-a' };
      expect((await repo.create(first, claim)).created).toBe(true);
      const again = await repo.create(aTask({ owner }), claim);
      expect(again.created).toBe(false);
      expect(again.task.taskId).toBe(first.taskId);
      expect((await repo.listByOwner({ owner, limit: 10 })).items).toHaveLength(1);
    });

    it('records the key on the task', async () => {
      const task = aTask({ owner });
      await repo.create(task, { key: 'k-rec', bodyHash: 'h' });
      expect((await repo.get(task.taskId))?.idempotencyKey).toBe('k-rec');
    });

    it('throws IdempotencyKeyReusedError for the same key with another body', async () => {
      await repo.create(aTask({ owner }), { key: 'k-2', bodyHash: 'hash-a' });
      const other = aTask({ owner });
      await expect(repo.create(other, { key: 'k-2', bodyHash: 'hash-b' })).rejects.toBeInstanceOf(
        IdempotencyKeyReusedError,
      );
      expect(await repo.get(other.taskId)).toBeUndefined();
    });

    it('keeps keys of different owners apart, even when owner and key contain #', async () => {
      const a = aTask({ owner: `${owner}#x` });
      const b = aTask({ owner });
      await repo.create(a, { key: 'y', bodyHash: 'h' });
      const result = await repo.create(b, { key: 'x#y', bodyHash: 'h' });
      expect(result).toEqual({ created: true, task: { ...b, idempotencyKey: 'x#y' } });
    });

    it('lets a key be used again after 24 hours', async () => {
      const first = aTask({ owner });
      await repo.create(first, { key: 'k-3', bodyHash: 'hash-a' });
      clock.advance(24 * 3600 * 1000 + 1000);
      const second = aTask({ owner });
      const result = await repo.create(second, { key: 'k-3', bodyHash: 'hash-b' });
      expect(result.created).toBe(true);
      expect(result.task.taskId).toBe(second.taskId);
    });

    it('rejects an empty or overlong key', async () => {
      await expect(
        repo.create(aTask({ owner }), { key: '', bodyHash: 'h' }),
      ).rejects.toBeInstanceOf(InvalidRequestError);
      await expect(
        repo.create(aTask({ owner }), { key: 'k'.repeat(256), bodyHash: 'h' }),
      ).rejects.toBeInstanceOf(InvalidRequestError);
    });
  });

  describe('update', () => {
    it('applies changes from the expected status, bumps version and updatedAt', async () => {
      const task = aTask({ owner });
      await repo.create(task);
      clock.advance(5000);
      const written = await repo.update(
        task.taskId,
        { status: 'queued', version: 1 },
        {
          status: 'dispatched',
          dispatchedAt: clock.iso(),
          comfyServer: 'http://c1',
          comfyNumber: 7,
        },
      );
      expect(written).toMatchObject({
        status: 'dispatched',
        version: 2,
        updatedAt: clock.iso(),
        dispatchedAt: clock.iso(),
        comfyServer: 'http://c1',
        comfyNumber: 7,
        workflow: task.workflow,
        owner,
      });
      expect(await repo.get(task.taskId)).toEqual(written);
    });

    it('accepts any of several expected statuses', async () => {
      const task = aTask({ owner, status: 'running' });
      await repo.create(task);
      const written = await repo.update(
        task.taskId,
        { status: ['dispatched', 'running'] },
        { cancelRequested: true },
      );
      expect(written.cancelRequested).toBe(true);
      expect(written.status).toBe('running');
    });

    it('throws TaskStateConflictError with the current state when the status differs', async () => {
      const task = aTask({ owner });
      await repo.create(task);
      const err = await repo
        .update(task.taskId, { status: 'running' }, { status: 'succeeded' })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TaskStateConflictError);
      expect((err as TaskStateConflictError).details).toEqual({ status: 'queued', version: 1 });
      expect(await repo.get(task.taskId)).toEqual(task);
    });

    it('throws TaskStateConflictError when the version differs', async () => {
      const task = aTask({ owner });
      await repo.create(task);
      await expect(
        repo.update(task.taskId, { status: 'queued', version: 2 }, { queuePosition: 1 }),
      ).rejects.toBeInstanceOf(TaskStateConflictError);
    });

    it('lets exactly one of two writers from the same version win', async () => {
      const task = aTask({ owner });
      await repo.create(task);
      const results = await Promise.allSettled([
        repo.update(task.taskId, { status: 'queued', version: 1 }, { status: 'dispatched' }),
        repo.update(task.taskId, { status: 'queued', version: 1 }, { status: 'cancelled' }),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const lost = results.find((r) => r.status === 'rejected');
      expect((lost as PromiseRejectedResult).reason).toBeInstanceOf(TaskStateConflictError);
      expect((await repo.get(task.taskId))?.version).toBe(2);
    });

    it('throws TaskNotFoundError for an unknown task', async () => {
      await expect(
        repo.update(randomUUID(), { status: 'queued' }, { status: 'cancelled' }),
      ).rejects.toBeInstanceOf(TaskNotFoundError);
    });

    it('refuses a transition the state machine forbids, writing nothing', async () => {
      const task = aTask({ owner, status: 'succeeded' });
      await repo.create(task);
      await expect(
        repo.update(task.taskId, { status: 'succeeded' }, { status: 'running' }),
      ).rejects.toBeInstanceOf(InvalidTransitionError);
      expect(await repo.get(task.taskId)).toEqual(task);
    });

    it('removes the fields named in remove and keeps the rest', async () => {
      const task = aTask({
        owner,
        status: 'dispatched',
        queuePosition: 3,
        comfyServer: 'http://c1',
        cancelRequested: true,
      });
      await repo.create(task);
      const written = await repo.update(
        task.taskId,
        { status: 'dispatched' },
        { status: 'queued', requeues: 1 },
        ['queuePosition', 'comfyServer', 'cancelRequested'],
      );
      expect(written.queuePosition).toBeUndefined();
      expect(written.comfyServer).toBeUndefined();
      expect(written.cancelRequested).toBeUndefined();
      expect(written.requeues).toBe(1);
      expect(await repo.get(task.taskId)).toEqual(written);
    });

    it('stores outputs and errors as given', async () => {
      const task = aTask({ owner, status: 'running' });
      await repo.create(task);
      const outputs = [
        {
          nodeId: '9',
          filename: 'a.png',
          subfolder: 'x',
          type: 'output',
          s3Key: `outputs/${owner}/${task.taskId}/9/a.png`,
          contentType: 'image/png',
          size: 10,
        },
      ];
      const ok = await repo.update(
        task.taskId,
        { status: 'running' },
        { status: 'succeeded', outputs },
      );
      expect(ok.outputs).toEqual(outputs);
      const t2 = aTask({ owner, status: 'running' });
      await repo.create(t2);
      const error = { code: 'NODE_ERROR', message: 'boom', nodeId: '3', nodeType: 'KSampler' };
      expect(
        (await repo.update(t2.taskId, { status: 'running' }, { status: 'failed', error })).error,
      ).toEqual(error);
    });
  });

  describe('listByOwner', () => {
    async function seed(n: number, who = owner): Promise<Task[]> {
      const tasks: Task[] = [];
      for (let i = 0; i < n; i++) {
        const t = aTask({ owner: who, createdAt: at(i), updatedAt: at(i) });
        await repo.create(t);
        tasks.push(t);
      }
      return tasks;
    }

    it('lists the caller tasks newest first, in pages, without workflows', async () => {
      const tasks = await seed(5);
      await seed(2, `${owner}-other`);
      const p1 = await repo.listByOwner({ owner, limit: 2 });
      expect(p1.items).toEqual([summaryOf(tasks[4] as Task), summaryOf(tasks[3] as Task)]);
      expect(p1.nextCursor).toEqual(expect.any(String));
      const p2 = await repo.listByOwner({ owner, limit: 2, cursor: p1.nextCursor });
      expect(p2.items.map((t) => t.taskId)).toEqual([tasks[2]?.taskId, tasks[1]?.taskId]);
      const p3 = await repo.listByOwner({ owner, limit: 2, cursor: p2.nextCursor });
      expect(p3.items.map((t) => t.taskId)).toEqual([tasks[0]?.taskId]);
      expect(p3.nextCursor).toBeUndefined();
      expect(p1.items[0]).not.toHaveProperty('workflow');
    });

    it('gives no cursor when the page holds the last item exactly', async () => {
      await seed(2);
      const page = await repo.listByOwner({ owner, limit: 2 });
      expect(page.items).toHaveLength(2);
      expect(page.nextCursor).toBeUndefined();
    });

    it('orders tasks created at the same instant by task id, stably across pages', async () => {
      const same = ['0', '1', '2'].map((d) =>
        aTask({ owner, taskId: `${d}0000000-0000-4000-8000-000000000000`, createdAt: at(0) }),
      );
      for (const t of same) await repo.create(t);
      const p1 = await repo.listByOwner({ owner, limit: 2 });
      const p2 = await repo.listByOwner({ owner, limit: 2, cursor: p1.nextCursor });
      expect([...p1.items, ...p2.items].map((t) => t.taskId)).toEqual(
        [...same].reverse().map((t) => t.taskId),
      );
    });

    it('filters by status, following status changes', async () => {
      const [a, b] = await seed(2);
      await repo.update(a?.taskId as string, { status: 'queued' }, { status: 'cancelled' });
      const cancelled = await repo.listByOwner({ owner, status: 'cancelled', limit: 10 });
      expect(cancelled.items.map((t) => t.taskId)).toEqual([a?.taskId]);
      const queued = await repo.listByOwner({ owner, status: 'queued', limit: 10 });
      expect(queued.items.map((t) => t.taskId)).toEqual([b?.taskId]);
    });

    it('returns an empty page for an owner with no tasks', async () => {
      expect(await repo.listByOwner({ owner, limit: 5 })).toEqual({ items: [] });
    });

    it('rejects a cursor made for another owner', async () => {
      await seed(3);
      await seed(3, `${owner}-b`);
      const p1 = await repo.listByOwner({ owner, limit: 1 });
      const err = await repo
        .listByOwner({ owner: `${owner}-b`, limit: 1, cursor: p1.nextCursor })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidRequestError);
      expect((err as InvalidRequestError).code).toBe('INVALID_CURSOR');
    });

    it('rejects a cursor made for another status filter', async () => {
      await seed(3);
      const p1 = await repo.listByOwner({ owner, limit: 1 });
      await expect(
        repo.listByOwner({ owner, status: 'queued', limit: 1, cursor: p1.nextCursor }),
      ).rejects.toMatchObject({ code: 'INVALID_CURSOR' });
    });

    it('rejects malformed cursors', async () => {
      const forged = Buffer.from(JSON.stringify({ v: 1, o: 'x', s: '', c: 'y', t: 'z' })).toString(
        'base64url',
      );
      for (const cursor of ['!!', 'abc', forged, 'e30', 'x'.repeat(600)]) {
        await expect(repo.listByOwner({ owner, limit: 1, cursor })).rejects.toMatchObject({
          code: 'INVALID_CURSOR',
        });
      }
    });

    it('rejects a limit outside 1..1000', async () => {
      await expect(repo.listByOwner({ owner, limit: 0 })).rejects.toBeInstanceOf(
        InvalidRequestError,
      );
    });
  });

  describe('countActive', () => {
    it('counts the owner non-terminal tasks, up to atMost', async () => {
      for (const status of ['queued', 'dispatched', 'running', 'succeeded', 'failed'] as const)
        await repo.create(aTask({ owner, status }));
      await repo.create(aTask({ owner: `${owner}-other` }));
      expect(await repo.countActive(owner, 10)).toBe(3);
      expect(await repo.countActive(owner, 2)).toBe(2);
    });

    it('stops counting a task once it is terminal', async () => {
      const t = aTask({ owner });
      await repo.create(t);
      await repo.update(t.taskId, { status: 'queued' }, { status: 'cancelled' });
      expect(await repo.countActive(owner, 10)).toBe(0);
    });
  });

  describe('listQueuedBefore', () => {
    it('lists queued tasks waiting since before a time, oldest first, and follows changes', async () => {
      const old = (i: number) => new Date(Date.UTC(2000, 0, 1, 0, i)).toISOString();
      const made: Task[] = [];
      const rows = [
        { status: 'queued', queuedAt: old(2) },
        { status: 'queued', queuedAt: old(1) },
        { status: 'queued', queuedAt: old(30) },
        { status: 'dispatched', queuedAt: old(0) },
      ] as const;
      for (const r of rows) {
        const t = aTask({ owner, ...r });
        await repo.create(t);
        made.push(t);
      }
      const ids = new Set(made.map((t) => t.taskId));
      const mine = async (before: string) =>
        (await repo.listQueuedBefore(before, 1000)).filter((e) => ids.has(e.taskId));
      expect(await mine(old(10))).toEqual([
        { taskId: made[1]?.taskId, queuedAt: old(1) },
        { taskId: made[0]?.taskId, queuedAt: old(2) },
      ]);
      // Leaving queued leaves the index; coming back enters it with the write's time.
      await repo.update(made[1]?.taskId as string, { status: 'queued' }, { status: 'dispatched' });
      expect((await mine(old(10))).map((e) => e.taskId)).toEqual([made[0]?.taskId]);
      await repo.update(made[1]?.taskId as string, { status: 'dispatched' }, { status: 'queued' });
      const back = (await repo.get(made[1]?.taskId as string))?.queuedAt;
      expect(back).toBe(clock.iso());
      expect((await mine(clock.iso())).map((e) => e.taskId)).toContain(made[1]?.taskId);
      // Moving queuedAt on takes a task out of an earlier cut.
      await repo.update(made[0]?.taskId as string, { status: 'queued' }, { queuedAt: old(20) });
      expect(await mine(old(10))).toEqual([]);
    });
  });

  describe('listAtComfy', () => {
    it('lists only dispatched and running tasks, oldest first, and follows changes', async () => {
      const made: Task[] = [];
      const statuses = ['queued', 'dispatched', 'running', 'succeeded', 'cancelled'] as const;
      for (const [i, status] of statuses.entries()) {
        const t = aTask({ owner, status, createdAt: at(i), cancelRequested: i === 2 });
        await repo.create(t);
        made.push(t);
      }
      const mine = async () =>
        (await repo.listAtComfy()).filter((t) => t.owner === owner).map((t) => t.taskId);
      expect(await mine()).toEqual([made[1]?.taskId, made[2]?.taskId]);
      const running = (await repo.listAtComfy()).find((t) => t.taskId === made[2]?.taskId);
      expect(running).toMatchObject({ cancelRequested: true, status: 'running' });
      expect(running).not.toHaveProperty('workflow');
      await repo.update(
        made[1]?.taskId as string,
        { status: 'dispatched' },
        { status: 'succeeded' },
      );
      await repo.update(made[0]?.taskId as string, { status: 'queued' }, { status: 'dispatched' });
      expect(await mine()).toEqual([made[0]?.taskId, made[2]?.taskId]);
    });
  });
}
