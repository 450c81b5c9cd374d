/**
 * The operations behind `npm run keys -- create|revoke|list|set-limits` (scripts/keys.ts is only
 * argument parsing).
 */
import { InvalidRequestError } from '../domain/errors.js';
import { type Clock, isoAt } from '../ports/clock.js';
import type { ApiKeyRecord, ApiKeyStore, OwnerLimits } from '../ports/key-store.js';
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
  // A new key of an owner with limits carries them too (every key of an owner has the same).
  const limits = (await deps.keys.list(owner)).find((k) => k.limits)?.limits;
  if (limits) record.limits = limits;
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

const LIMIT_NAMES = ['nodes', 'pixels', 'batch', 'steps', 'frames', 'upscale'] as const;

/**
 * Set the owner's resource limits (replacing the deployment's field by field) on every key of the
 * owner, or remove them with `undefined`. A limit must be a positive number (an integer but for
 * `upscale`). Returns how many keys now carry them; 0 when the owner has no key. The API sees the
 * change once the authorizer's cached verdict for a key expires (at most its cache TTL).
 */
export async function setOwnerLimits(
  deps: { keys: ApiKeyStore },
  owner: string,
  limits: OwnerLimits | undefined,
): Promise<number> {
  if (limits) {
    for (const [name, value] of Object.entries(limits)) {
      const ok =
        (LIMIT_NAMES as readonly string[]).includes(name) &&
        typeof value === 'number' &&
        value > 0 &&
        Number.isFinite(value) &&
        (name === 'upscale' || Number.isInteger(value));
      if (!ok) {
        throw new InvalidRequestError(
          `Invalid limit ${name}=${String(value)}: limits are ${LIMIT_NAMES.join(', ')}, each a positive number (an integer but for upscale).`,
          { limit: name },
          'INVALID_LIMIT',
        );
      }
    }
  }
  return deps.keys.setLimits(owner, limits && Object.keys(limits).length > 0 ? limits : undefined);
}
