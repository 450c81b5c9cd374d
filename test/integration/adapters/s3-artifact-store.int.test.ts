/** S3ArtifactStore on fauxqs: the shared contract, multipart, presigned URLs and failures. */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { contentDisposition, S3ArtifactStore } from '../../../shared/adapters/s3/artifact-store.js';
import { DependencyUnavailableError } from '../../../shared/domain/errors.js';
import { artifactStoreContract } from '../../contract/artifact-store.contract.js';
import { FixedClock } from '../../fakes/fixed-clock.js';
import { createTestStack, type TestStack } from '../../helpers/stack.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack();
});

const storeWith = (o: Partial<ConstructorParameters<typeof S3ArtifactStore>[0]> = {}) => {
  const clock = new FixedClock(Date.now());
  return {
    clock,
    store: new S3ArtifactStore({
      client: stack.clients.s3,
      bucket: stack.names.bucket,
      clock,
      ...o,
    }),
  };
};

/** `n` pseudo-random bytes produced lazily in 64 KiB chunks (never held whole). */
function generated(n: number): { stream: Readable; digest: () => number } {
  let sent = 0;
  let sum = 0;
  const stream = new Readable({
    read() {
      if (sent >= n) return void this.push(null);
      const size = Math.min(65_536, n - sent);
      const chunk = Buffer.alloc(size);
      for (let i = 0; i < size; i++) chunk[i] = (sent + i) % 251;
      for (const b of chunk) sum = (sum + b) % 1_000_000_007;
      sent += size;
      this.push(chunk);
    },
  });
  return { stream, digest: () => sum };
}

describe('S3ArtifactStore meets the ArtifactStore contract', () => {
  artifactStoreContract(async () => storeWith());
});

describe('S3ArtifactStore', () => {
  it('stores a body larger than a part through multipart, intact', async () => {
    const { store } = storeWith({ partSize: 5 * 1024 * 1024, queueSize: 1 });
    const key = `outputs/big/${randomUUID()}.bin`;
    const size = 12 * 1024 * 1024 + 123;
    const src = generated(size);
    const stored = await store.putStream({ key, body: src.stream, contentType: 'video/mp4', size });
    expect(stored.size).toBe(size);
    const { body, size: got } = await store.getStream(key);
    expect(got).toBe(size);
    let sum = 0;
    for await (const c of body) for (const b of c as Buffer) sum = (sum + b) % 1_000_000_007;
    expect(sum).toBe(src.digest());
  });

  it('aborts a multipart upload whose source breaks after the first part', async () => {
    const { store } = storeWith({ partSize: 5 * 1024 * 1024, queueSize: 1 });
    const key = `outputs/broken/${randomUUID()}.bin`;
    let sent = 0;
    const body = new Readable({
      read() {
        if (sent >= 7 * 1024 * 1024) return void this.destroy(new Error('socket hang up'));
        sent += 1024 * 1024;
        this.push(Buffer.alloc(1024 * 1024, 1));
      },
    });
    const err = await store.putStream({ key, body, contentType: 'a/b' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect(await store.head(key)).toBeUndefined();
    const uploads = await stack.clients.s3.send(
      new ListMultipartUploadsCommand({ Bucket: stack.names.bucket, Prefix: key }),
    );
    expect(uploads.Uploads ?? []).toEqual([]);
  });

  it('stores user metadata and the content type', async () => {
    const { store } = storeWith();
    const key = `outputs/meta/${randomUUID()}.txt`;
    await store.putStream({
      key,
      body: Readable.from([Buffer.from('hi')]),
      contentType: 'text/plain',
      metadata: { taskid: 'abc' },
    });
    const got = await store.getStream(key);
    expect(got.contentType).toBe('text/plain');
    expect(await buffer(got.body)).toEqual(Buffer.from('hi'));
  });

  it('presigns a GET that downloads the object under the given name', async () => {
    const { store } = storeWith();
    const key = `outputs/p/${randomUUID()}/ComfyUI_0001_.png`;
    await store.putStream({
      key,
      body: Readable.from([Buffer.from('png!')]),
      contentType: 'image/png',
    });
    const { url } = await store.presignGet(key, 600, 'cat photo.png');
    const u = new URL(url);
    expect(u.origin).toBe(stack.endpoints.s3);
    expect(u.searchParams.get('X-Amz-Expires')).toBe('600');
    expect(u.searchParams.get('response-content-disposition')).toBe(
      contentDisposition('cat photo.png'),
    );
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).toString()).toBe('png!');
  });

  it('presigns a PUT with content type and length among the signed headers', async () => {
    const { store } = storeWith();
    const key = `uploads/alice/${randomUUID()}`;
    const { url } = await store.presignPut(key, 'image/png', 4, 900);
    const signed = new URL(url).searchParams.get('X-Amz-SignedHeaders')?.split(';');
    expect(signed).toEqual(expect.arrayContaining(['content-length', 'content-type', 'host']));
    const res = await fetch(url, {
      method: 'PUT',
      body: 'abcd',
      headers: { 'content-type': 'image/png' },
    });
    expect(res.status).toBe(200);
    expect(await store.head(key)).toEqual({ key, size: 4, contentType: 'image/png' });
  });

  it('gives a download name safe for any characters', () => {
    expect(contentDisposition('a"b\\c é.png')).toBe(
      `attachment; filename="a_b_c _.png"; filename*=UTF-8''a%22b%5Cc%20%C3%A9.png`,
    );
  });

  it('turns an unreachable S3 into DependencyUnavailableError', async () => {
    const client = new S3Client({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9',
      forcePathStyle: true,
      maxAttempts: 1,
    });
    const store = new S3ArtifactStore({ client, bucket: 'b' });
    await expect(store.head('k')).rejects.toBeInstanceOf(DependencyUnavailableError);
    await expect(
      store.putStream({ key: 'k', body: Readable.from([Buffer.from('x')]), contentType: 'a/b' }),
    ).rejects.toBeInstanceOf(DependencyUnavailableError);
    client.destroy();
  });
});
