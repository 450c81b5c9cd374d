/** The WebhookSecretStore port in memory (same semantics as the DynamoDB adapter). */
import type {
  OwnerWebhookSecrets,
  WebhookSecretStore,
} from '../../shared/ports/webhook-secrets.js';

export class InMemoryWebhookSecretStore implements WebhookSecretStore {
  private readonly byOwner = new Map<string, OwnerWebhookSecrets>();

  async get(owner: string): Promise<OwnerWebhookSecrets | undefined> {
    const s = this.byOwner.get(owner);
    return s && structuredClone(s);
  }

  async createIfAbsent(secrets: OwnerWebhookSecrets): Promise<boolean> {
    if (this.byOwner.has(secrets.owner)) return false;
    this.byOwner.set(secrets.owner, structuredClone(secrets));
    return true;
  }

  async put(secrets: OwnerWebhookSecrets): Promise<void> {
    this.byOwner.set(secrets.owner, structuredClone(secrets));
  }
}
