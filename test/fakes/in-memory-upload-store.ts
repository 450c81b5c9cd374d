/** UploadStore in memory, with the same rules as the DynamoDB adapter. */
import { TaskStateConflictError } from '../../shared/domain/errors.js';
import type { UploadRecord, UploadStore } from '../../shared/ports/upload-store.js';

export class InMemoryUploadStore implements UploadStore {
  readonly records = new Map<string, UploadRecord>();

  async put(record: UploadRecord): Promise<void> {
    if (this.records.has(record.uploadId)) {
      throw new TaskStateConflictError(`Upload ${record.uploadId} already exists.`);
    }
    this.records.set(record.uploadId, structuredClone(record));
  }

  async get(uploadId: string): Promise<UploadRecord | undefined> {
    const r = this.records.get(uploadId);
    return r ? structuredClone(r) : undefined;
  }
}
