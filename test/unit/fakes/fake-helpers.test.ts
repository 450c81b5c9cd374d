/** The test-only helpers of the fakes, which the contract suites do not reach. */
import { describe, expect, it } from 'vitest';
import { DependencyUnavailableError } from '../../../shared/domain/errors.js';
import { isTaskId } from '../../../shared/domain/ids.js';
import { FakeTaskQueue } from '../../fakes/fake-task-queue.js';
import { FixedClock } from '../../fakes/fixed-clock.js';
import { InMemoryArtifactStore } from '../../fakes/in-memory-artifact-store.js';
import { InMemoryTaskRepository } from '../../fakes/in-memory-task-repository.js';
import { SequenceIds } from '../../fakes/sequence-ids.js';
import { aTask } from '../../fakes/tasks.js';

describe('SequenceIds', () => {
  it('yields distinct canonical task ids in order', () => {
    const ids = new SequenceIds('ab');
    const [a, b] = [ids.next(), ids.next()];
    expect(a).toBe('000000ab-0000-4000-8000-000000000001');
    expect(isTaskId(b)).toBe(true);
    expect(a).not.toBe(b);
  });
});

describe('InMemoryTaskRepository helpers', () => {
  it('sets the TTL when a task becomes terminal, from the retention days', async () => {
    const clock = new FixedClock('2026-01-01T00:00:00.000Z');
    const repo = new InMemoryTaskRepository({ clock, retentionDays: 2 });
    const t = aTask();
    await repo.create(t);
    expect(repo.expiresAtOf(t.taskId)).toBeUndefined();
    await repo.update(t.taskId, { status: 'queued' }, { status: 'cancelled' });
    expect(repo.expiresAtOf(t.taskId)).toBe(Date.parse('2026-01-03T00:00:00.000Z') / 1000);
  });

  it('fails the next call of a method when told to, then works again', async () => {
    const repo = new InMemoryTaskRepository();
    repo.failNext('get', new DependencyUnavailableError('down'));
    await expect(repo.get('x')).rejects.toBeInstanceOf(DependencyUnavailableError);
    expect(await repo.get('x')).toBeUndefined();
    expect(repo.calls.get).toBe(2);
  });
});

describe('FakeTaskQueue', () => {
  it('makes a delayed message visible once the clock passes its delay', async () => {
    const clock = new FixedClock();
    const q = new FakeTaskQueue(clock);
    await q.send({ taskId: 't1' }, 5);
    expect(q.receive()).toEqual([]);
    clock.advance(5000);
    expect(q.receive().map((m) => m.message.taskId)).toEqual(['t1']);
    expect(q.sentTaskIds()).toEqual(['t1']);
  });
});

describe('InMemoryArtifactStore presigned URLs', () => {
  it('accepts a PUT matching the signed type and length before expiry, and serves the GET', async () => {
    const clock = new FixedClock();
    const store = new InMemoryArtifactStore(clock);
    const put = await store.presignPut('uploads/a/u1', 'image/png', 3, 60);
    expect(
      store.usePresigned(put.url, { method: 'PUT', body: 'abc', contentType: 'image/jpeg' }),
    ).toEqual({ status: 403 });
    expect(
      store.usePresigned(put.url, { method: 'PUT', body: 'abcd', contentType: 'image/png' }),
    ).toEqual({ status: 403 });
    expect(
      store.usePresigned(put.url, { method: 'PUT', body: 'abc', contentType: 'image/png' }).status,
    ).toBe(200);
    const get = await store.presignGet('uploads/a/u1', 10, 'x.png');
    expect(store.usePresigned(get.url, { method: 'GET' })).toMatchObject({
      status: 200,
      contentType: 'image/png',
      downloadName: 'x.png',
    });
    clock.advance(11_000);
    expect(store.usePresigned(get.url, { method: 'GET' }).status).toBe(403);
  });
});
