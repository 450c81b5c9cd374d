/**
 * The ArtifactStore port in memory. Presigned URLs are fake `https://artifacts.invalid/...` links with
 * an expiry on the given clock; `usePresigned` plays the client that follows one (a GET, or a PUT that
 * must match the signed content type and length), so upload flows can be tested end to end.
 */
import { Readable } from 'node:stream';
import {
  DependencyUnavailableError,
  DomainError,
  ObjectNotFoundError,
} from '../../shared/domain/errors.js';
import type {
  ArtifactStore,
  PresignedUrl,
  StoredObject,
} from '../../shared/ports/artifact-store.js';
import { type Clock, systemClock } from '../../shared/ports/clock.js';

interface StoredBody {
  body: Buffer;
  contentType: string;
  metadata: Record<string, string>;
}
interface Grant {
  method: 'GET' | 'PUT';
  key: string;
  expiresAtMs: number;
  contentType?: string;
  contentLength?: number;
  downloadName?: string;
}

const FAKE_PRESIGN_ORIGIN = 'https://artifacts.invalid';

export class InMemoryArtifactStore implements ArtifactStore {
  private readonly objects = new Map<string, StoredBody>();
  private readonly grants = new Map<string, Grant>();
  private readonly failures: Error[] = [];
  private n = 0;

  constructor(private readonly clock: Clock = systemClock) {}

  /** Make the next `times` putStream calls fail with `error` after reading the body. */
  failNextPut(error: Error, times = 1): void {
    for (let i = 0; i < times; i++) this.failures.push(error);
  }

  /** Store bytes directly (test setup). */
  seed(key: string, body: string | Uint8Array, contentType = 'application/octet-stream'): void {
    this.objects.set(key, { body: Buffer.from(body), contentType, metadata: {} });
  }

  keys(): string[] {
    return [...this.objects.keys()].sort();
  }

  bytes(key: string): Buffer | undefined {
    return this.objects.get(key)?.body;
  }

  metadataOf(key: string): Record<string, string> | undefined {
    return this.objects.get(key)?.metadata;
  }

  async list(prefix: string): Promise<string[]> {
    return this.keys().filter((k) => k.startsWith(prefix));
  }

  async putStream(input: {
    key: string;
    body: Readable;
    contentType: string;
    size?: number;
    metadata?: Record<string, string>;
  }): Promise<StoredObject> {
    const chunks: Buffer[] = [];
    try {
      for await (const c of input.body) chunks.push(Buffer.from(c as Uint8Array));
    } catch (err) {
      if (err instanceof DomainError) throw err;
      throw new DependencyUnavailableError(`Reading the body for ${input.key} failed.`, {
        cause: err,
      });
    }
    const body = Buffer.concat(chunks);
    const failure = this.failures.shift();
    if (failure) throw failure;
    if (input.size !== undefined && input.size !== body.length)
      throw new DependencyUnavailableError(
        `The body for ${input.key} had ${body.length} bytes, not the ${input.size} announced.`,
      );
    this.objects.set(input.key, {
      body,
      contentType: input.contentType,
      metadata: { ...input.metadata },
    });
    return { key: input.key, size: body.length, contentType: input.contentType };
  }

  async head(key: string): Promise<StoredObject | undefined> {
    const o = this.objects.get(key);
    return o && { key, size: o.body.length, contentType: o.contentType };
  }

  async getStream(key: string): Promise<{ body: Readable; size: number; contentType: string }> {
    const o = this.objects.get(key);
    if (!o) throw new ObjectNotFoundError(key);
    return { body: Readable.from([o.body]), size: o.body.length, contentType: o.contentType };
  }

  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }

  async presignGet(
    key: string,
    expiresInSeconds: number,
    downloadName?: string,
  ): Promise<PresignedUrl> {
    return this.grant({ method: 'GET', key, downloadName }, expiresInSeconds);
  }

  async presignPut(
    key: string,
    contentType: string,
    contentLength: number,
    expiresInSeconds: number,
  ): Promise<PresignedUrl> {
    return this.grant({ method: 'PUT', key, contentType, contentLength }, expiresInSeconds);
  }

  /**
   * Follow a presigned URL as a client would. Returns an HTTP-like status: 200 with the body for a
   * GET, 200 for a stored PUT, 403 for an expired/unknown URL, wrong method, content type or length,
   * 404 for a GET of a missing object.
   */
  usePresigned(
    url: string,
    request: { method: 'GET' } | { method: 'PUT'; body: Uint8Array | string; contentType: string },
  ): { status: number; body?: Buffer; contentType?: string; downloadName?: string } {
    const token = new URL(url).searchParams.get('X-Amz-Signature') ?? '';
    const g = this.grants.get(token);
    if (!g || g.method !== request.method || this.clock.now() > g.expiresAtMs)
      return { status: 403 };
    if (request.method === 'GET') {
      const o = this.objects.get(g.key);
      if (!o) return { status: 404 };
      return {
        status: 200,
        body: o.body,
        contentType: o.contentType,
        ...(g.downloadName ? { downloadName: g.downloadName } : {}),
      };
    }
    const body = Buffer.from(request.body);
    if (request.contentType !== g.contentType || body.length !== g.contentLength)
      return { status: 403 };
    this.objects.set(g.key, { body, contentType: request.contentType, metadata: {} });
    return { status: 200 };
  }

  private grant(g: Omit<Grant, 'expiresAtMs'>, expiresInSeconds: number): PresignedUrl {
    if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1 || expiresInSeconds > 604_800)
      throw new RangeError('expiresInSeconds must be a whole number from 1 to 604800');
    const expiresAtMs = this.clock.now() + expiresInSeconds * 1000;
    this.n += 1;
    const token = `fake${this.n}`;
    this.grants.set(token, { ...g, expiresAtMs });
    const path = g.key.split('/').map(encodeURIComponent).join('/');
    const q = new URLSearchParams({
      'X-Amz-Expires': String(expiresInSeconds),
      'X-Amz-Signature': token,
    });
    return {
      url: `${FAKE_PRESIGN_ORIGIN}/${path}?${q}`,
      expiresAt: new Date(expiresAtMs).toISOString(),
    };
  }
}
