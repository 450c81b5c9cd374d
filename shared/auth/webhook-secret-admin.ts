/**
 * The operations behind the owner's webhook signing secret: created with the owner's first API key
 * (`npm run keys -- create`) or on demand, and rotated with an overlap window during which
 * deliveries are signed with both the new and the previous secret.
 */
import { type Clock, isoAt } from '../ports/clock.js';
import type { WebhookSecretStore } from '../ports/webhook-secrets.js';
import { generateWebhookSecret } from '../webhooks/signing.js';

export interface SecretAdminDeps {
  secrets: WebhookSecretStore;
  clock: Clock;
}

/** The owner's secret, creating one when there is none. `created` tells whether it is new. */
export async function ensureWebhookSecret(
  deps: SecretAdminDeps,
  owner: string,
): Promise<{ secret: string; created: boolean }> {
  const fresh = { owner, current: generateWebhookSecret(), createdAt: isoAt(deps.clock) };
  if (await deps.secrets.createIfAbsent(fresh)) return { secret: fresh.current, created: true };
  const existing = await deps.secrets.get(owner);
  if (!existing) throw new Error(`webhook secret of ${owner} vanished while being read`);
  return { secret: existing.current, created: false };
}

/**
 * A new current secret; the old one keeps signing (as a second signature) for `overlapHours`.
 * @default overlapHours 24
 */
export async function rotateWebhookSecret(
  deps: SecretAdminDeps,
  owner: string,
  overlapHours = 24,
): Promise<{ secret: string; previousUntil?: string }> {
  const old = await deps.secrets.get(owner);
  const now = deps.clock.now();
  const secret = generateWebhookSecret();
  if (!old || overlapHours <= 0) {
    await deps.secrets.put({ owner, current: secret, createdAt: new Date(now).toISOString() });
    return { secret };
  }
  const previousUntil = new Date(now + overlapHours * 3_600_000).toISOString();
  await deps.secrets.put({
    owner,
    current: secret,
    createdAt: new Date(now).toISOString(),
    previous: old.current,
    previousUntil,
  });
  return { secret, previousUntil };
}
