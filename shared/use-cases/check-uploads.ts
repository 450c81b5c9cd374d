import { InvalidRequestError, UploadNotFoundError } from '../domain/errors.js';
import type { ArtifactStore } from '../ports/artifact-store.js';
import type { Clock } from '../ports/clock.js';
import type { UploadStore } from '../ports/upload-store.js';

export interface CheckUploadsDeps {
  uploads: UploadStore;
  artifacts: ArtifactStore;
  clock: Clock;
  uploadMaxBytes: number;
}

/**
 * Every referenced upload must exist, belong to `owner`, not be expired, and have its content in the
 * artifact store. An upload of someone else is UPLOAD_NOT_FOUND, exactly like an unknown one.
 */
export async function checkUploads(deps: CheckUploadsDeps, owner: string, uploadIds: string[]) {
  for (const uploadId of uploadIds) {
    const record = await deps.uploads.get(uploadId);
    if (!record || record.owner !== owner || Date.parse(record.expiresAt) <= deps.clock.now()) {
      throw new UploadNotFoundError(uploadId);
    }
    const stored = await deps.artifacts.head(record.s3Key);
    if (!stored) {
      throw new InvalidRequestError(
        `Upload ${uploadId} has no content yet: PUT the image to the url POST /v1/uploads returned, then submit.`,
        { uploadId },
        'UPLOAD_INCOMPLETE',
      );
    }
    if (stored.size > deps.uploadMaxBytes) {
      throw new InvalidRequestError(
        `Upload ${uploadId} is ${stored.size} bytes; at most ${deps.uploadMaxBytes} are allowed.`,
        { uploadId, size: stored.size, limit: deps.uploadMaxBytes },
        'UPLOAD_TOO_LARGE',
      );
    }
  }
}
