/**
 * ArtifactStore on S3. `putStream` uses lib-storage's Upload: one PUT for small bodies, multipart for
 * large ones, holding at most `queueSize` parts of `partSize` bytes in memory, so memory does not
 * grow with the object. A body that breaks, or ends short of its announced size, stores nothing
 * (the multipart upload is aborted, a short single PUT is deleted). Presigned URLs point wherever the
 * client's endpoint points (the emulator in tests and locally).
 */
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  DependencyUnavailableError,
  DomainError,
  ObjectNotFoundError,
} from '../../domain/errors.js';
import type { ArtifactStore, PresignedUrl, StoredObject } from '../../ports/artifact-store.js';
import { type Clock, systemClock } from '../../ports/clock.js';
import { awsErrorName, awsHttpStatus, translateAwsError } from '../aws/errors.js';

export interface S3ArtifactStoreOptions {
  client: S3Client;
  /**
   * The client presigned URLs are made with: one with `requestChecksumCalculation: 'WHEN_REQUIRED'`
   * (see AwsClients.s3Presign), so a presigned PUT carries no checksum of an empty body.
   * @default client
   */
  presignClient?: S3Client;
  bucket: string;
  /** @default systemClock */
  clock?: Clock;
  /**
   * Multipart part size in bytes (S3's minimum, 5 MiB, keeps memory lowest; objects up to 50 GB).
   * @default 5 MiB
   */
  partSize?: number;
  /** Parts uploaded (and buffered) at once. @default 2 */
  queueSize?: number;
}

const DEFAULT_TYPE = 'application/octet-stream';
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

/** Lone UTF-16 surrogates (e.g. a non-UTF-8 file name from ComfyUI) that encodeURIComponent rejects. */
const LONE_SURROGATE_RE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * `attachment` with an ASCII fallback name and the exact UTF-8 name (RFC 6266 / 5987). Never throws:
 * a lone surrogate becomes U+FFFD, since the name comes from ComfyUI and a presign must not fail on it.
 */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const exact = encodeURIComponent(name.replace(LONE_SURROGATE_RE, '\uFFFD')).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16)}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${exact}`;
}

const isNotFound = (err: unknown) =>
  awsErrorName(err) === 'NoSuchKey' ||
  awsErrorName(err) === 'NotFound' ||
  awsHttpStatus(err) === 404;

export class S3ArtifactStore implements ArtifactStore {
  private readonly client: S3Client;
  private readonly presignClient: S3Client;
  private readonly bucket: string;
  private readonly clock: Clock;
  private readonly partSize: number;
  private readonly queueSize: number;

  constructor(o: S3ArtifactStoreOptions) {
    this.client = o.client;
    this.presignClient = o.presignClient ?? o.client;
    this.bucket = o.bucket;
    this.clock = o.clock ?? systemClock;
    this.partSize = o.partSize ?? 5 * 1024 * 1024;
    this.queueSize = o.queueSize ?? 2;
  }

  async putStream(input: {
    key: string;
    body: Readable;
    contentType: string;
    size?: number;
    metadata?: Record<string, string>;
  }): Promise<StoredObject> {
    let bytes = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        done(null, chunk);
      },
    });
    const upload = new Upload({
      client: this.client,
      partSize: this.partSize,
      queueSize: this.queueSize,
      leavePartsOnError: false,
      params: {
        Bucket: this.bucket,
        Key: input.key,
        Body: counter,
        ContentType: input.contentType,
        ...(input.metadata ? { Metadata: input.metadata } : {}),
      },
    });
    // The source's own error (e.g. ComfyUI dropping the connection) wins over the upload's.
    let sourceError: unknown;
    const piping = pipeline(input.body, counter).catch((err: unknown) => {
      sourceError = err;
    });
    try {
      await upload.done();
      await piping;
    } catch (err) {
      // Stop reading the source: the upload no longer drains the pipe, which would otherwise stall.
      counter.destroy();
      await piping;
      throw this.failure(sourceError ?? err, input.key);
    }
    if (sourceError) throw this.failure(sourceError, input.key);
    if (input.size !== undefined && bytes !== input.size) {
      await this.delete(input.key);
      throw new DependencyUnavailableError(
        `The body for ${input.key} had ${bytes} bytes, not the ${input.size} announced.`,
      );
    }
    return { key: input.key, size: bytes, contentType: input.contentType };
  }

  async head(key: string): Promise<StoredObject | undefined> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { key, size: out.ContentLength ?? 0, contentType: out.ContentType ?? DEFAULT_TYPE };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw translateAwsError(err, 'S3 (reading object metadata)');
    }
  }

  async getStream(key: string): Promise<{ body: Readable; size: number; contentType: string }> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      // In Node the SDK's body is an http.IncomingMessage, a Readable.
      return {
        body: out.Body as Readable,
        size: out.ContentLength ?? 0,
        contentType: out.ContentType ?? DEFAULT_TYPE,
      };
    } catch (err) {
      if (isNotFound(err)) throw new ObjectNotFoundError(key);
      throw translateAwsError(err, 'S3 (reading an object)');
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (err) {
      if (isNotFound(err)) return;
      throw translateAwsError(err, 'S3 (deleting an object)');
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ContinuationToken: token,
          }),
        );
        for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (err) {
      throw translateAwsError(err, 'S3 (listing objects)');
    }
    return keys.sort();
  }

  async presignGet(
    key: string,
    expiresInSeconds: number,
    downloadName?: string,
  ): Promise<PresignedUrl> {
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: key,
      ...(downloadName ? { ResponseContentDisposition: contentDisposition(downloadName) } : {}),
    });
    return this.presign(command, expiresInSeconds);
  }

  /** The content type and length are signed headers: S3 refuses an upload with others. */
  async presignPut(
    key: string,
    contentType: string,
    contentLength: number,
    expiresInSeconds: number,
  ): Promise<PresignedUrl> {
    const command = new PutObjectCommand({
      Bucket: this.bucket,
      Key: key,
      ContentType: contentType,
      ContentLength: contentLength,
    });
    return this.presign(command, expiresInSeconds, new Set(['content-type', 'content-length']));
  }

  private async presign(
    command: GetObjectCommand | PutObjectCommand,
    expiresIn: number,
    signableHeaders?: Set<string>,
  ): Promise<PresignedUrl> {
    if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_PRESIGN_SECONDS)
      throw new RangeError(
        `expiresInSeconds must be a whole number from 1 to ${MAX_PRESIGN_SECONDS}`,
      );
    const signingDate = new Date(this.clock.now());
    try {
      const url = await getSignedUrl(this.presignClient, command, {
        expiresIn,
        signingDate,
        ...(signableHeaders ? { signableHeaders } : {}),
      });
      return { url, expiresAt: new Date(signingDate.getTime() + expiresIn * 1000).toISOString() };
    } catch (err) {
      throw translateAwsError(err, 'S3 (presigning a URL)');
    }
  }

  private failure(err: unknown, key: string): unknown {
    if (err instanceof DomainError) return err;
    const translated = translateAwsError(err, `S3 (storing ${key})`);
    if (translated !== err) return translated;
    // A source stream that broke (socket reset, truncated body) may well work on the next try.
    return new DependencyUnavailableError(`Copying the body into ${key} failed.`, { cause: err });
  }
}
