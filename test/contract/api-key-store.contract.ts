/** The ApiKeyStore contract, run against the in-memory store (unit) and DynamoDB Local (integration). */
import { randomUUID } from 'node:crypto';
import { beforeEach, expect, it } from 'vitest';
import type { ApiKeyRecord, ApiKeyStore } from '../../shared/ports/key-store.js';

export function apiKeyStoreContract(makeStore: () => Promise<ApiKeyStore>): void {
  let store: ApiKeyStore;
  let owner: string;
  const key = (o: Partial<ApiKeyRecord> = {}): ApiKeyRecord => ({
    keyHash: randomUUID().replaceAll('-', ''),
    keyId: `kid_${randomUUID().slice(0, 8)}`,
    owner,
    createdAt: '2026-01-01T00:00:00.000Z',
    ...o,
  });
  beforeEach(async () => {
    store = await makeStore();
    owner = `owner-${randomUUID()}`;
  });

  it('finds a stored key by its hash', async () => {
    const k = key({ label: 'ci' });
    await store.put(k);
    expect(await store.getByHash(k.keyHash)).toEqual(k);
    expect(await store.getByHash('nope')).toBeUndefined();
  });

  it('revokes by key id, keeping the first revocation time', async () => {
    const k = key();
    await store.put(k);
    expect(await store.revoke(k.keyId, '2026-02-01T00:00:00.000Z')).toBe(true);
    expect(await store.revoke(k.keyId, '2026-03-01T00:00:00.000Z')).toBe(true);
    expect((await store.getByHash(k.keyHash))?.revokedAt).toBe('2026-02-01T00:00:00.000Z');
  });

  it('sets and clears the limits on every key of one owner only', async () => {
    const a = key();
    const b = key({ revokedAt: '2026-02-01T00:00:00.000Z' });
    const other = key({ owner: `other-${randomUUID()}` });
    for (const k of [a, b, other]) await store.put(k);
    expect(await store.setLimits(owner, { steps: 300, pixels: 1000 })).toBe(2);
    expect((await store.getByHash(a.keyHash))?.limits).toEqual({ steps: 300, pixels: 1000 });
    expect((await store.getByHash(b.keyHash))?.limits).toEqual({ steps: 300, pixels: 1000 });
    expect((await store.getByHash(other.keyHash))?.limits).toBeUndefined();
    expect(await store.setLimits(owner, undefined)).toBe(2);
    expect((await store.getByHash(a.keyHash))?.limits).toBeUndefined();
    expect(await store.setLimits(`nobody-${randomUUID()}`, { steps: 1 })).toBe(0);
  });

  it('answers false when revoking an unknown key id', async () => {
    expect(await store.revoke(`kid_${randomUUID()}`, '2026-02-01T00:00:00.000Z')).toBe(false);
  });

  it('lists keys, all or one owner, oldest first', async () => {
    const a = key({ createdAt: '2026-01-02T00:00:00.000Z' });
    const b = key({ createdAt: '2026-01-01T00:00:00.000Z' });
    const other = key({ owner: `${owner}-other` });
    for (const k of [a, b, other]) await store.put(k);
    expect(await store.list(owner)).toEqual([b, a]);
    const all = (await store.list()).map((k) => k.keyHash);
    expect(all).toEqual(expect.arrayContaining([a.keyHash, b.keyHash, other.keyHash]));
  });
}
