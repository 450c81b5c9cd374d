/**
 * Standard Webhooks signing (https://www.standardwebhooks.com, spec v1): each delivery carries
 * `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`, a space-separated list of
 * `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, one per active secret. A secret is `whsec_`
 * followed by base64 of the key bytes; receivers verify with any Standard Webhooks library.
 */
import { createHmac, randomBytes } from 'node:crypto';

const SECRET_PREFIX = 'whsec_';
const SECRET_RE = /^whsec_[A-Za-z0-9+/]{32,}={0,2}$/;

/** A new signing secret: 32 random bytes. */
export const generateWebhookSecret = (): string =>
  `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`;

export const isWebhookSecret = (s: string): boolean => SECRET_RE.test(s);

function keyOf(secret: string): Buffer {
  if (!isWebhookSecret(secret)) throw new Error('not a whsec_ signing secret');
  return Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
}

function sign(secret: string, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', keyOf(secret))
    .update(`${id}.${timestampSeconds}.${body}`)
    .digest('base64');
  return `v1,${mac}`;
}

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** The three headers of one delivery, signed with every secret given (rotation overlap: two). */
export function signedHeaders(
  secrets: readonly string[],
  id: string,
  timestampSeconds: number,
  body: string,
): SignedHeaders {
  if (secrets.length === 0) throw new Error('no signing secret');
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': secrets.map((s) => sign(s, id, timestampSeconds, body)).join(' '),
  };
}
