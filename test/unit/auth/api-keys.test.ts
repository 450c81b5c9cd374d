import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createHandler } from '../../../functions/authorizer/handler.js';
import { authenticateApiKey, hashApiKey } from '../../../shared/auth/api-keys.js';
import { createKey, listKeys, revokeKey } from '../../../shared/auth/key-admin.js';
import { FixedClock } from '../../fakes/fixed-clock.js';
import { InMemoryApiKeyStore } from '../../fakes/in-memory-api-key-store.js';
import { lambdaContext } from '../../helpers/api-events.js';

const setup = () => {
  const keys = new InMemoryApiKeyStore();
  const clock = new FixedClock();
  const authorizer = createHandler({ keys, logger: new Logger({ logLevel: 'SILENT' }) });
  const authorize = (headers: Record<string, string>) =>
    authorizer(
      {
        headers,
        routeKey: 'GET /v1/tasks',
      } as unknown as APIGatewayRequestAuthorizerEventV2,
      lambdaContext(),
    );
  return { keys, clock, authorize };
};

describe('API keys', () => {
  it('creates a csk_ key, stores only its sha256 with the owner, and prints it once', async () => {
    // Prepare
    const { keys, clock } = setup();
    // Act
    const created = await createKey({ keys, clock }, 'alice', 'laptop');
    // Assess
    expect(created.key).toMatch(/^csk_[A-Za-z0-9_-]{43}$/);
    expect(created.keyId).toMatch(/^key_[0-9a-f]{12}$/);
    const [record] = await keys.list();
    expect(record).toEqual({
      keyHash: hashApiKey(created.key),
      keyId: created.keyId,
      owner: 'alice',
      createdAt: clock.iso(),
      label: 'laptop',
    });
    expect(JSON.stringify(record)).not.toContain(created.key);
    expect(await listKeys({ keys })).toEqual([
      { keyId: created.keyId, owner: 'alice', createdAt: clock.iso(), label: 'laptop' },
    ]);
  });

  it('authorizes a valid key with context { owner, keyId }, and nothing after it is revoked', async () => {
    const { keys, clock, authorize } = setup();
    const { key, keyId } = await createKey({ keys, clock }, 'alice');
    expect(await authorize({ 'x-api-key': key })).toEqual({
      isAuthorized: true,
      context: { owner: 'alice', keyId },
    });
    expect(await revokeKey({ keys, clock }, keyId)).toBe(true);
    expect(await authorize({ 'x-api-key': key })).toEqual({ isAuthorized: false });
    expect(await revokeKey({ keys, clock }, 'key_000000000000')).toBe(false);
  });

  it.each([
    ['no header', {}],
    ['an empty key', { 'x-api-key': '' }],
    ['a key of the wrong shape', { 'x-api-key': 'hunter2' }],
    ['an unknown key', { 'x-api-key': `csk_${'A'.repeat(43)}` }],
  ])('denies %s', async (_name, headers) => {
    const { authorize } = setup();
    expect(await authorize(headers)).toEqual({ isAuthorized: false });
  });

  it('does not read the store for a malformed key', async () => {
    const { keys } = setup();
    let reads = 0;
    const counting = Object.assign(Object.create(keys), {
      getByHash: async (h: string) => {
        reads++;
        return keys.getByHash(h);
      },
    });
    expect(await authenticateApiKey(counting, 'nope')).toBeUndefined();
    expect(reads).toBe(0);
  });

  it('refuses owners with characters that do not belong in an owner id', async () => {
    const { keys, clock } = setup();
    await expect(createKey({ keys, clock }, 'al ice')).rejects.toMatchObject({
      code: 'INVALID_OWNER',
    });
    await expect(createKey({ keys, clock }, '')).rejects.toMatchObject({ code: 'INVALID_OWNER' });
  });
});
