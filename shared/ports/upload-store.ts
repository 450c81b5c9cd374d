/**
 * Records of input images announced through `POST /v1/uploads` (DynamoDB `UPLOAD#<uploadId>` items in
 * production). The image itself is in the artifact store under `s3Key`; the record says whose it is.
 */
export interface UploadRecord {
  uploadId: string;
  owner: string;
  /** `uploads/<ownerSegment>/<uploadId>` in the artifact store. */
  s3Key: string;
  /** The caller's file name, sanitised (used as the name at ComfyUI). */
  filename: string;
  contentType: string;
  /** The size the caller announced (the presigned PUT is signed for it). */
  size: number;
  createdAt: string;
  /** ISO time after which the upload is gone (the store may also delete it by TTL). */
  expiresAt: string;
}

export interface UploadStore {
  /** Store a new record; the id is fresh, so an existing one is an error (TaskStateConflictError). */
  put(record: UploadRecord): Promise<void>;
  /** The record, or undefined when unknown. Callers check `expiresAt` (TTL deletion lags). */
  get(uploadId: string): Promise<UploadRecord | undefined>;
}
