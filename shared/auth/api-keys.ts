/**
 * API keys: `csk_` + 43 random base64url characters (256 bits). Only the sha256 of a key is stored, with
 * its owner and a short public `keyId` used to list and revoke it. Keys are random enough that a fast
 * hash is safe (no password stretching needed).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { ApiKeyRecord, ApiKeyStore } from '../ports/key-store.js';

const API_KEY_PREFIX = 'csk_';
/** The header API Gateway reads the key from (lower-cased in payload 2.0 events). */
export const API_KEY_HEADER = 'x-api-key';
/** Any csk_ key we ever issued (older or local ones may be shorter than 43 characters). */
const API_KEY_RE = /^csk_[A-Za-z0-9_-]{20,128}$/;

export const hashApiKey = (key: string): string => createHash('sha256').update(key).digest('hex');

export interface NewApiKey {
  /** The key itself: shown once, never stored. */
  key: string;
  record: ApiKeyRecord;
}

export function generateApiKey(owner: string, createdAt: string, label?: string): NewApiKey {
  const key = API_KEY_PREFIX + randomBytes(32).toString('base64url');
  const record: ApiKeyRecord = {
    keyHash: hashApiKey(key),
    keyId: `key_${randomBytes(6).toString('hex')}`,
    owner,
    createdAt,
  };
  if (label) record.label = label;
  return { key, record };
}

/**
 * The owner of a key (and the owner's own resource limits, as JSON, when set), or undefined for a
 * missing, malformed, unknown or revoked key. Malformed keys are rejected without a store read.
 */
export async function authenticateApiKey(
  store: ApiKeyStore,
  key: string | undefined,
): Promise<{ owner: string; keyId: string; limits?: string } | undefined> {
  if (!key || !API_KEY_RE.test(key)) return undefined;
  const record = await store.getByHash(hashApiKey(key));
  if (!record || record.revokedAt) return undefined;
  // Authorizer context values are strings, numbers or booleans: the limits travel as JSON.
  return {
    owner: record.owner,
    keyId: record.keyId,
    ...(record.limits ? { limits: JSON.stringify(record.limits) } : {}),
  };
}
