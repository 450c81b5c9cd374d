/**
 * Object storage for outputs and uploads (S3 in production). Keys are chosen by the domain and are
 * deterministic, so a retried copy overwrites rather than duplicates.
 */
import type { Readable } from 'node:stream';

export interface StoredObject {
  key: string;
  size: number;
  contentType: string;
}

export interface PresignedUrl {
  url: string;
  expiresAt: string;
}

export interface ArtifactStore {
  /** Stream a body of unknown or known length into `key` (multipart for large bodies). */
  putStream(input: {
    key: string;
    body: Readable;
    contentType: string;
    size?: number;
    metadata?: Record<string, string>;
  }): Promise<StoredObject>;
  head(key: string): Promise<StoredObject | undefined>;
  getStream(key: string): Promise<{ body: Readable; size: number; contentType: string }>;
  delete(key: string): Promise<void>;
  /** Every key that starts with `prefix` (all pages), in key order. */
  list(prefix: string): Promise<string[]>;
  /** Presigned GET, valid for `expiresInSeconds`. */
  presignGet(key: string, expiresInSeconds: number, downloadName?: string): Promise<PresignedUrl>;
  /** Presigned PUT that only accepts `contentType` (and, where supported, `contentLength`). */
  presignPut(
    key: string,
    contentType: string,
    contentLength: number,
    expiresInSeconds: number,
  ): Promise<PresignedUrl>;
}
