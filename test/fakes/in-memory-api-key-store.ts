/** The ApiKeyStore port in memory (same semantics as the DynamoDB adapter; see the contract suite). */
import type { ApiKeyRecord, ApiKeyStore, OwnerLimits } from '../../shared/ports/key-store.js';

export class InMemoryApiKeyStore implements ApiKeyStore {
  private readonly byHash = new Map<string, ApiKeyRecord>();

  async put(record: ApiKeyRecord): Promise<void> {
    this.byHash.set(record.keyHash, structuredClone(record));
  }

  async getByHash(keyHash: string): Promise<ApiKeyRecord | undefined> {
    const r = this.byHash.get(keyHash);
    return r && structuredClone(r);
  }

  async revoke(keyId: string, at: string): Promise<boolean> {
    let found = false;
    for (const r of this.byHash.values()) {
      if (r.keyId !== keyId) continue;
      found = true;
      // The first revocation time stands.
      r.revokedAt ??= at;
    }
    return found;
  }

  async setLimits(owner: string, limits: OwnerLimits | undefined): Promise<number> {
    let changed = 0;
    for (const r of this.byHash.values()) {
      if (r.owner !== owner) continue;
      changed++;
      if (limits === undefined) delete r.limits;
      else r.limits = structuredClone(limits);
    }
    return changed;
  }

  async list(owner?: string): Promise<ApiKeyRecord[]> {
    return [...this.byHash.values()]
      .filter((r) => owner === undefined || r.owner === owner)
      .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0))
      .map((r) => structuredClone(r));
  }
}
