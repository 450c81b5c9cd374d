/** API keys, stored hashed (sha256); the key itself is shown once at creation and never stored. */
export interface ApiKeyRecord {
  keyHash: string;
  keyId: string;
  owner: string;
  createdAt: string;
  revokedAt?: string;
  label?: string;
  /**
   * The owner's own resource limits, replacing the deployment's field by field; every key of an
   * owner carries the same (`npm run keys -- set-limits`), so the authorizer passes them on free.
   */
  limits?: OwnerLimits;
}

/** Per-owner resource limits (see shared/workflow/resource-limits.ts). */
export type OwnerLimits = Partial<
  Record<'nodes' | 'pixels' | 'batch' | 'steps' | 'frames' | 'upscale', number>
>;

export interface ApiKeyStore {
  put(record: ApiKeyRecord): Promise<void>;
  getByHash(keyHash: string): Promise<ApiKeyRecord | undefined>;
  /** Revoke by key id (the short, non-secret id printed at creation). Returns false if unknown. */
  revoke(keyId: string, at: string): Promise<boolean>;
  list(owner?: string): Promise<ApiKeyRecord[]>;
  /**
   * Set (or with `undefined`, remove) the limits on every key of `owner`, revoked ones included.
   * Returns how many keys were changed (0: the owner has no key).
   */
  setLimits(owner: string, limits: OwnerLimits | undefined): Promise<number>;
}
