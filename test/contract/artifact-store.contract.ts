/** The ArtifactStore contract, run against the in-memory store (unit) and S3 on fauxqs (integration). */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { beforeEach, expect, it } from 'vitest';
import { DomainError, ObjectNotFoundError } from '../../shared/domain/errors.js';
import type { ArtifactStore } from '../../shared/ports/artifact-store.js';
import type { FixedClock } from '../fakes/fixed-clock.js';

export interface ArtifactStoreSubject {
  store: ArtifactStore;
  clock: FixedClock;
}

/** A stream of `n` bytes in small chunks, of unknown length to the reader. */
const bytes = (n: number, seed = 7) => {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * seed) & 0xff;
  return b;
};
const chunked = (b: Buffer, size = 1000) =>
  Readable.from(
    (function* () {
      for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
    })(),
  );

export function artifactStoreContract(makeSubject: () => Promise<ArtifactStoreSubject>): void {
  let store: ArtifactStore;
  let clock: FixedClock;
  let prefix: string;
  beforeEach(async () => {
    ({ store, clock } = await makeSubject());
    prefix = `outputs/contract/${randomUUID()}/`;
  });

  it('stores a stream of unknown length and reads it back', async () => {
    const body = bytes(10_000);
    const stored = await store.putStream({
      key: `${prefix}a.png`,
      body: chunked(body),
      contentType: 'image/png',
    });
    expect(stored).toEqual({ key: `${prefix}a.png`, size: 10_000, contentType: 'image/png' });
    expect(await store.head(`${prefix}a.png`)).toEqual(stored);
    const got = await store.getStream(`${prefix}a.png`);
    expect(got.size).toBe(10_000);
    expect(got.contentType).toBe('image/png');
    expect((await buffer(got.body)).equals(body)).toBe(true);
  });

  it('stores an empty body', async () => {
    const stored = await store.putStream({
      key: `${prefix}empty`,
      body: Readable.from([]),
      contentType: 'text/plain',
      size: 0,
    });
    expect(stored.size).toBe(0);
    expect((await store.head(`${prefix}empty`))?.size).toBe(0);
  });

  it('overwrites the same key rather than keeping two copies', async () => {
    const key = `${prefix}same`;
    await store.putStream({ key, body: chunked(bytes(100)), contentType: 'a/b' });
    await store.putStream({ key, body: chunked(bytes(50, 3)), contentType: 'c/d', size: 50 });
    expect(await store.head(key)).toEqual({ key, size: 50, contentType: 'c/d' });
  });

  it('fails, storing nothing, when the body is shorter than its announced size', async () => {
    const key = `${prefix}short`;
    const err = await store
      .putStream({ key, body: chunked(bytes(100)), contentType: 'a/b', size: 200 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).retryable).toBe(true);
    expect(await store.head(key)).toBeUndefined();
  });

  it('passes on the error of a body that breaks half-way, storing nothing', async () => {
    const key = `${prefix}broken`;
    const body = new Readable({ read() {} });
    body.push(bytes(1000));
    setTimeout(() => body.destroy(new Error('source reset')), 5);
    await expect(store.putStream({ key, body, contentType: 'a/b' })).rejects.toThrow();
    expect(await store.head(key)).toBeUndefined();
  });

  it('answers head with undefined and getStream with ObjectNotFoundError for a missing key', async () => {
    expect(await store.head(`${prefix}missing`)).toBeUndefined();
    await expect(store.getStream(`${prefix}missing`)).rejects.toBeInstanceOf(ObjectNotFoundError);
  });

  it('lists every key under a prefix, and only those', async () => {
    for (const k of ['a/1', 'a/2', 'a/b/3', 'ab/4']) {
      await store.putStream({ key: `${prefix}${k}`, body: chunked(bytes(3)), contentType: 'a/b' });
    }
    expect(await store.list(`${prefix}a/`)).toEqual([
      `${prefix}a/1`,
      `${prefix}a/2`,
      `${prefix}a/b/3`,
    ]);
    expect(await store.list(`${prefix}none/`)).toEqual([]);
  });

  it('deletes, and deleting a missing key is fine', async () => {
    const key = `${prefix}gone`;
    await store.putStream({ key, body: chunked(bytes(10)), contentType: 'a/b' });
    await store.delete(key);
    expect(await store.head(key)).toBeUndefined();
    await store.delete(key);
  });

  it('presigns a GET and a PUT that expire when asked', async () => {
    const key = `${prefix}p.png`;
    const get = await store.presignGet(key, 3600, 'my image.png');
    expect(new URL(get.url).pathname).toContain('p.png');
    expect(get.expiresAt).toBe(new Date(clock.now() + 3600_000).toISOString());
    const put = await store.presignPut(key, 'image/png', 1234, 900);
    expect(put.expiresAt).toBe(new Date(clock.now() + 900_000).toISOString());
    expect(put.url).not.toBe(get.url);
  });
}
