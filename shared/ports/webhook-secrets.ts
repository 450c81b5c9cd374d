/**
 * Each owner's webhook signing secrets. After a rotation the previous secret stays active until
 * `previousUntil`, and deliveries carry a signature for each active secret, so receivers can switch
 * to the new secret at any time within that window.
 */
export interface OwnerWebhookSecrets {
  owner: string;
  current: string;
  createdAt: string;
  previous?: string;
  /** ISO time until which `previous` still signs deliveries. */
  previousUntil?: string;
}

export interface WebhookSecretStore {
  get(owner: string): Promise<OwnerWebhookSecrets | undefined>;
  /** Store unless the owner already has secrets; false (nothing written) when they do. */
  createIfAbsent(secrets: OwnerWebhookSecrets): Promise<boolean>;
  /** Replace (rotation). */
  put(secrets: OwnerWebhookSecrets): Promise<void>;
}

/** The secrets that sign a delivery at `nowMs`: the current one, then the previous one in its window. */
export function activeSecrets(s: OwnerWebhookSecrets, nowMs: number): string[] {
  const previousActive =
    s.previous !== undefined &&
    s.previousUntil !== undefined &&
    Date.parse(s.previousUntil) > nowMs;
  return previousActive ? [s.current, s.previous as string] : [s.current];
}
