/** The UploadStore contract, run against the in-memory store (unit) and DynamoDB Local (integration). */
import { randomUUID } from 'node:crypto';
import { beforeEach, expect, it } from 'vitest';
import { TaskStateConflictError } from '../../shared/domain/errors.js';
import type { UploadRecord, UploadStore } from '../../shared/ports/upload-store.js';

export function uploadStoreContract(makeStore: () => Promise<UploadStore>): void {
  let store: UploadStore;
  const record = (o: Partial<UploadRecord> = {}): UploadRecord => {
    const uploadId = randomUUID();
    return {
      uploadId,
      owner: `owner-${randomUUID()}`,
      s3Key: `uploads/owner/${uploadId}`,
      filename: 'photo.png',
      contentType: 'image/png',
      size: 1234,
      createdAt: '2026-01-01T00:00:00.000Z',
      expiresAt: '2026-01-02T00:00:00.000Z',
      ...o,
    };
  };
  beforeEach(async () => {
    store = await makeStore();
  });

  it('returns a stored record as it was stored', async () => {
    const r = record();
    await store.put(r);
    expect(await store.get(r.uploadId)).toEqual(r);
  });

  it('returns undefined for an unknown upload', async () => {
    expect(await store.get(randomUUID())).toBeUndefined();
  });

  it('refuses a second record under the same id, keeping the first', async () => {
    const r = record();
    await store.put(r);
    const again = await store.put({ ...r, owner: 'mallory' }).catch((e) => e);
    expect(again).toBeInstanceOf(TaskStateConflictError);
    expect(await store.get(r.uploadId)).toEqual(r);
  });

  it('keeps what it stored when the caller changes its object afterwards', async () => {
    const r = record();
    await store.put(r);
    const before = structuredClone(r);
    r.owner = 'changed';
    expect(await store.get(before.uploadId)).toEqual(before);
  });
}
