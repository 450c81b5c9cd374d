/**
 * UploadStore on the tasks table: one `UPLOAD#<uploadId>` item per upload, removed by DynamoDB TTL
 * (`expiresAt`, epoch seconds) when the upload expires.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DependencyUnavailableError, TaskStateConflictError } from '../../domain/errors.js';
import type { UploadRecord, UploadStore } from '../../ports/upload-store.js';

const pk = (uploadId: string) => `UPLOAD#${uploadId}`;

export class DynamoUploadStore implements UploadStore {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(opts: { client: DynamoDBDocumentClient; tableName: string }) {
    this.#doc = opts.client;
    this.#table = opts.tableName;
  }

  async put(record: UploadRecord): Promise<void> {
    const { expiresAt, ...rest } = record;
    try {
      await this.#doc.send(
        new PutCommand({
          TableName: this.#table,
          Item: {
            pk: pk(record.uploadId),
            kind: 'upload',
            ...rest,
            expiresAtIso: expiresAt,
            expiresAt: Math.ceil(Date.parse(expiresAt) / 1000),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) {
        throw new TaskStateConflictError(`Upload ${record.uploadId} already exists.`, {
          cause: err,
        });
      }
      throw new DependencyUnavailableError('Storing the upload record failed.', { cause: err });
    }
  }

  async get(uploadId: string): Promise<UploadRecord | undefined> {
    let item: Record<string, unknown> | undefined;
    try {
      const out = await this.#doc.send(
        new GetCommand({ TableName: this.#table, Key: { pk: pk(uploadId) }, ConsistentRead: true }),
      );
      item = out.Item;
    } catch (err) {
      throw new DependencyUnavailableError('Reading the upload record failed.', { cause: err });
    }
    if (item?.kind !== 'upload') return undefined;
    return {
      uploadId: String(item.uploadId),
      owner: String(item.owner),
      s3Key: String(item.s3Key),
      filename: String(item.filename),
      contentType: String(item.contentType),
      size: Number(item.size),
      createdAt: String(item.createdAt),
      expiresAt: String(item.expiresAtIso),
    };
  }
}
