/** API keys, stored hashed (sha256); the key itself is shown once at creation and never stored. */
export interface ApiKeyRecord {
  keyHash: string;
  keyId: string;
  owner: string;
  createdAt: string;
  revokedAt?: string;
  label?: string;
}

export interface ApiKeyStore {
  put(record: ApiKeyRecord): Promise<void>;
  getByHash(keyHash: string): Promise<ApiKeyRecord | undefined>;
  /** Revoke by key id (the short, non-secret id printed at creation). Returns false if unknown. */
  revoke(keyId: string, at: string): Promise<boolean>;
  list(owner?: string): Promise<ApiKeyRecord[]>;
}
