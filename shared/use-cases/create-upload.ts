/**
 * POST /v1/uploads: announce an input image and get a presigned S3 PUT for it. Images only, at most
 * `uploadMaxBytes`. The record (`UPLOAD#<uploadId>`, with the owner) is what submit checks later.
 */

import { InvalidRequestError } from '../domain/errors.js';
import type { IdGenerator } from '../domain/ids.js';
import { ownerSegment } from '../domain/owner.js';
import type { ArtifactStore } from '../ports/artifact-store.js';
import { type Clock, isoAt } from '../ports/clock.js';
import type { UploadStore } from '../ports/upload-store.js';
import { keys } from '../resources.js';

export const UPLOAD_CONTENT_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'image/gif'] as const;

/** How long an upload may be referenced; the bucket's `uploads/` lifecycle rule keeps it as long. */
const UPLOAD_RETENTION_SECONDS = 2 * 24 * 3600;

export interface CreateUploadDeps {
  uploads: UploadStore;
  artifacts: ArtifactStore;
  clock: Clock;
  ids: IdGenerator;
  uploadMaxBytes: number;
  uploadUrlTtlSeconds: number;
}

export interface CreateUploadInput {
  owner: string;
  filename: string;
  contentType: string;
  size: number;
}

export interface CreatedUpload {
  uploadId: string;
  url: string;
  expiresAt: string;
  maxBytes: number;
  /** Headers the PUT must carry (they are part of the signature). */
  headers: Record<string, string>;
}

/** Keep a readable, safe file name: no folders, no odd characters, at most 100 characters. */
function safeUploadName(filename: string): string {
  const base = filename.split(/[\\/]/).pop() ?? '';
  const cleaned = base.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '');
  return (cleaned || 'image').slice(-100);
}

export async function createUpload(
  deps: CreateUploadDeps,
  input: CreateUploadInput,
): Promise<CreatedUpload> {
  if (!(UPLOAD_CONTENT_TYPES as readonly string[]).includes(input.contentType)) {
    throw new InvalidRequestError(
      `Uploads are images: contentType must be one of ${UPLOAD_CONTENT_TYPES.join(', ')}.`,
      { issues: [{ path: ['body', 'contentType'], message: 'not an accepted image type' }] },
      'UNSUPPORTED_UPLOAD_TYPE',
    );
  }
  if (input.size > deps.uploadMaxBytes) {
    throw new InvalidRequestError(
      `The image is ${input.size} bytes; at most ${deps.uploadMaxBytes} are allowed.`,
      { limit: deps.uploadMaxBytes, issues: [{ path: ['body', 'size'], message: 'too large' }] },
      'UPLOAD_TOO_LARGE',
    );
  }
  const uploadId = deps.ids.next();
  const s3Key = keys.upload(ownerSegment(input.owner), uploadId);
  const link = await deps.artifacts.presignPut(
    s3Key,
    input.contentType,
    input.size,
    deps.uploadUrlTtlSeconds,
  );
  await deps.uploads.put({
    uploadId,
    owner: input.owner,
    s3Key,
    filename: safeUploadName(input.filename),
    contentType: input.contentType,
    size: input.size,
    createdAt: isoAt(deps.clock),
    expiresAt: new Date(deps.clock.now() + UPLOAD_RETENTION_SECONDS * 1000).toISOString(),
  });
  return {
    uploadId,
    url: link.url,
    expiresAt: link.expiresAt,
    maxBytes: deps.uploadMaxBytes,
    headers: { 'content-type': input.contentType },
  };
}
