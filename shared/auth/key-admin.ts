/** The operations behind `npm run keys -- create|revoke|list` (scripts/keys.ts is only argument parsing). */
import { InvalidRequestError } from '../domain/errors.js';
import { type Clock, isoAt } from '../ports/clock.js';
import type { ApiKeyRecord, ApiKeyStore } from '../ports/key-store.js';
import { generateApiKey } from './api-keys.js';

const OWNER_RE = /^[A-Za-z0-9._@|:-]{1,128}$/;

export async function createKey(
  deps: { keys: ApiKeyStore; clock: Clock },
  owner: string,
  label?: string,
): Promise<{ key: string; keyId: string; owner: string }> {
  if (!OWNER_RE.test(owner)) {
    throw new InvalidRequestError(
      'The owner must be 1-128 letters, digits or any of . _ @ | : -',
      { owner },
      'INVALID_OWNER',
    );
  }
  const { key, record } = generateApiKey(owner, isoAt(deps.clock), label);
  await deps.keys.put(record);
  return { key, keyId: record.keyId, owner };
}

/** False when no key has this id. */
export const revokeKey = (deps: { keys: ApiKeyStore; clock: Clock }, keyId: string) =>
  deps.keys.revoke(keyId, isoAt(deps.clock));

/** Keys without their hashes (nothing secret to print). */
export async function listKeys(
  deps: { keys: ApiKeyStore },
  owner?: string,
): Promise<Omit<ApiKeyRecord, 'keyHash'>[]> {
  const records = await deps.keys.list(owner);
  return records.map(({ keyHash: _hash, ...rest }) => rest);
}
