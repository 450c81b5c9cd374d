/**
 * Nobody reaches what is not theirs, through the local API server with the real authorizer and
 * functions: another owner's task id, upload id, cursor or Idempotency-Key; a missing, revoked,
 * unknown or malformed API key on every route. "Exists but not yours" and "does not exist" answer
 * the same status, headers and body (but for the id itself), and refused calls write nothing.
 */
import { randomUUID } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES } from '../../../functions/manifests.js';
import { encodeListCursor } from '../../../shared/adapters/task-list-cursor.js';
import { tinyWorkflow } from '../../fakes/tasks.js';
import { errorShapeProblem, type SecureApi, startSecureApi } from './support/secure-api.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
const loadImage = (uploadId: string) => ({
  workflow: {
    '1': { class_type: 'LoadImage', inputs: { image: `upload:${uploadId}` } },
    '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'x' } },
  },
});
/** Headers that differ between any two responses. */
const VOLATILE = new Set(['date', 'apigw-requestid', 'connection', 'keep-alive']);
const stableHeaders = (h: Headers) =>
  [...h.entries()].filter(([k]) => !VOLATILE.has(k)).sort(([a], [b]) => a.localeCompare(b));

describe('ownership in API-key mode', () => {
  let api: SecureApi;
  let aliceTask: string;
  let aliceUpload: string;
  const as = (key: string, extra: Record<string, string> = {}) => ({
    'x-api-key': key,
    'content-type': 'application/json',
    ...extra,
  });
  const submit = async (key: string, body: unknown, extra: Record<string, string> = {}) =>
    api.call('POST', '/v1/tasks', { headers: as(key, extra), body: JSON.stringify(body) });

  beforeAll(async () => {
    api = await startSecureApi({ env: { UPLOAD_MAX_BYTES: '1024' } });
    const before = api.writes();
    const sub = await submit(api.keys.alice, { workflow: tinyWorkflow() });
    expect(sub.status).toBe(202);
    // The write counter sees a real write (so "nothing written" below can fail).
    expect(api.writes()).toBeGreaterThan(before);
    aliceTask = JSON.parse(sub.text).taskId;
    const up = await api.call('POST', '/v1/uploads', {
      headers: as(api.keys.alice),
      body: JSON.stringify({ filename: 'cat.png', contentType: 'image/png', size: PNG.length }),
    });
    expect(up.status).toBe(201);
    const upload = JSON.parse(up.text);
    aliceUpload = upload.uploadId;
    const put = await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: PNG });
    expect(put.status).toBe(200);
  });
  afterAll(() => api.close());

  it.each([
    ['GET', (id: string) => `/v1/tasks/${id}`],
    ['POST', (id: string) => `/v1/tasks/${id}/cancel`],
  ] as const)(
    "answers %s on another owner's task exactly like an unknown id",
    async (method, path) => {
      // Prepare
      const unknown = randomUUID();
      const before = api.writes();
      // Act
      const theirs = await api.call(method, path(aliceTask), { headers: as(api.keys.mallory) });
      const none = await api.call(method, path(unknown), { headers: as(api.keys.mallory) });
      // Assess
      expect(theirs.status).toBe(404);
      expect(none.status).toBe(404);
      expect(errorShapeProblem(theirs.text)).toBeUndefined();
      expect(theirs.text.replaceAll(aliceTask, '<id>')).toBe(none.text.replaceAll(unknown, '<id>'));
      expect(stableHeaders(theirs.headers)).toEqual(stableHeaders(none.headers));
      expect(api.writes()).toBe(before);
      const mine = JSON.parse(
        (await api.call('GET', `/v1/tasks/${aliceTask}`, { headers: as(api.keys.alice) })).text,
      );
      expect(mine).toMatchObject({ taskId: aliceTask, status: 'queued' });
      expect(mine.cancelRequested).toBeUndefined();
    },
  );

  it("never lists another owner's tasks, nor honours their cursor", async () => {
    // Prepare: mallory has tasks of her own; alice has two more (for a second page).
    await submit(api.keys.mallory, { workflow: tinyWorkflow() });
    await submit(api.keys.alice, { workflow: tinyWorkflow() });
    await submit(api.keys.alice, { workflow: tinyWorkflow() });
    const alicePage = JSON.parse(
      (await api.call('GET', '/v1/tasks?limit=1', { headers: as(api.keys.alice) })).text,
    );
    expect(alicePage.nextCursor).toEqual(expect.any(String));
    // Act
    const list = JSON.parse(
      (await api.call('GET', '/v1/tasks?limit=100', { headers: as(api.keys.mallory) })).text,
    );
    const queued = JSON.parse(
      (await api.call('GET', '/v1/tasks?status=queued', { headers: as(api.keys.mallory) })).text,
    );
    const stolen = await api.call('GET', `/v1/tasks?limit=1&cursor=${alicePage.nextCursor}`, {
      headers: as(api.keys.mallory),
    });
    // A cursor forged for mallory that points into alice's listing only moves within mallory's own.
    const forged = encodeListCursor('mallory', undefined, {
      createdAt: alicePage.items[0].createdAt,
      taskId: alicePage.items[0].taskId,
    });
    const forgedPage = JSON.parse(
      (await api.call('GET', `/v1/tasks?cursor=${forged}`, { headers: as(api.keys.mallory) })).text,
    );
    // Assess
    expect(list.items.length).toBeGreaterThan(0);
    const ids = [...list.items, ...queued.items, ...forgedPage.items].map(
      (t: { taskId: string }) => t.taskId,
    );
    const aliceIds = new Set(
      JSON.parse(
        (await api.call('GET', '/v1/tasks?limit=100', { headers: as(api.keys.alice) })).text,
      ).items.map((t: { taskId: string }) => t.taskId),
    );
    expect(aliceIds.has(aliceTask)).toBe(true);
    expect(ids.filter((id) => aliceIds.has(id))).toEqual([]);
    expect(stolen.status).toBe(400);
    expect(JSON.parse(stolen.text).error.code).toBe('INVALID_CURSOR');
  });

  it('refuses an upload of another owner exactly like an unknown upload, and writes nothing', async () => {
    const unknown = randomUUID();
    const before = api.writes();
    const theirs = await submit(api.keys.mallory, loadImage(aliceUpload));
    const none = await submit(api.keys.mallory, loadImage(unknown));
    expect(theirs.status).toBe(404);
    expect(JSON.parse(theirs.text).error.code).toBe('UPLOAD_NOT_FOUND');
    expect(theirs.text.replaceAll(aliceUpload, '<id>')).toBe(none.text.replaceAll(unknown, '<id>'));
    expect(api.writes()).toBe(before);
    // The owner can use it.
    expect((await submit(api.keys.alice, loadImage(aliceUpload))).status).toBe(202);
  });

  it("gives an Idempotency-Key another owner used a task of the caller's own", async () => {
    const body = { workflow: tinyWorkflow(), metadata: { n: 1 } };
    const key = { 'idempotency-key': `shared-${randomUUID()}` };
    const a = JSON.parse((await submit(api.keys.alice, body, key)).text);
    const m = await submit(api.keys.mallory, body, key);
    expect(m.status).toBe(202);
    expect(JSON.parse(m.text).taskId).not.toBe(a.taskId);
    const again = JSON.parse((await submit(api.keys.alice, body, key)).text);
    expect(again.taskId).toBe(a.taskId);
  });

  it('refuses over-size uploads, types other than images, and stored images over the limit', async () => {
    const before = api.writes();
    const upload = (body: unknown) =>
      api.call('POST', '/v1/uploads', {
        headers: as(api.keys.alice),
        body: JSON.stringify(body),
      });
    const big = await upload({ filename: 'a.png', contentType: 'image/png', size: 1025 });
    const html = await upload({ filename: 'a.html', contentType: 'text/html', size: 10 });
    const svg = await upload({ filename: 'a.svg', contentType: 'image/svg+xml', size: 10 });
    expect(big.status).toBe(413);
    expect(JSON.parse(big.text).error.code).toBe('UPLOAD_TOO_LARGE');
    for (const r of [html, svg]) {
      expect(r.status).toBe(400);
      expect(JSON.parse(r.text).error.code).toBe('UNSUPPORTED_UPLOAD_TYPE');
    }
    expect(api.writes()).toBe(before);

    // The PUT link is bound to the announced type and size (signed headers; S3 enforces them,
    // the emulator does not check signatures, so a bigger object is written here directly).
    const ok = JSON.parse(
      (await upload({ filename: 'b.png', contentType: 'image/png', size: 16 })).text,
    );
    const signed = new URL(ok.url).searchParams.get('X-Amz-SignedHeaders') ?? '';
    expect(signed.split(';')).toEqual(expect.arrayContaining(['content-length', 'content-type']));
    await api.stack.clients.s3.send(
      new PutObjectCommand({
        Bucket: api.stack.names.bucket,
        Key: `uploads/alice/${ok.uploadId}`,
        Body: Buffer.alloc(4096),
        ContentType: 'image/png',
      }),
    );
    const tooBig = await submit(api.keys.alice, loadImage(ok.uploadId));
    expect(tooBig.status).toBe(413);
    expect(JSON.parse(tooBig.text).error.code).toBe('UPLOAD_TOO_LARGE');
  });

  it('answers every route 401 without a key, 403 for a revoked, unknown or malformed one', async () => {
    const before = api.writes();
    const cases: [string | undefined, number][] = [
      [undefined, 401],
      ['', 401],
      [api.keys.revoked, 403],
      [`csk_${'A'.repeat(43)}`, 403],
      [`${api.keys.alice}x`, 403],
      [api.keys.alice.toUpperCase(), 403],
      ['Bearer whatever', 403],
    ];
    for (const route of API_ROUTES) {
      const path = route.path.replace('{taskId}', aliceTask);
      for (const [key, status] of cases) {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (key !== undefined) headers['x-api-key'] = key;
        const res = await api.call(route.method, path, {
          headers,
          body: JSON.stringify({ workflow: tinyWorkflow() }),
        });
        expect(res.status, `${route.method} ${path} with ${key?.slice(0, 12)}`).toBe(status);
        expect(res.text).not.toContain(aliceTask);
      }
    }
    expect(api.writes()).toBe(before);
  });
});
