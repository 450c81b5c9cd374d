/**
 * NodeCatalogStore on S3: the catalogue as one gzip JSON object (`catalog/comfyui.json.gz`), written
 * whole by the poller, read whole by the API functions (a few tens of kB for a full server).
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { NodeCatalog } from '../../catalog/node-catalog.js';
import type { NodeCatalogStore } from '../../ports/node-catalog-store.js';
import { keys } from '../../resources.js';
import { awsErrorName, awsHttpStatus, translateAwsError } from '../aws/errors.js';

const isNotFound = (err: unknown) =>
  awsErrorName(err) === 'NoSuchKey' || awsHttpStatus(err) === 404;

export class S3NodeCatalogStore implements NodeCatalogStore {
  constructor(private readonly o: { client: S3Client; bucket: string; key?: string }) {}

  private get key() {
    return this.o.key ?? keys.catalog;
  }

  async read(): Promise<NodeCatalog | undefined> {
    let bytes: Uint8Array;
    try {
      const out = await this.o.client.send(
        new GetObjectCommand({ Bucket: this.o.bucket, Key: this.key }),
      );
      bytes = (await out.Body?.transformToByteArray()) ?? new Uint8Array();
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw translateAwsError(err, 'S3 (reading the node catalogue)');
    }
    const parsed = JSON.parse(gunzipSync(bytes).toString('utf8')) as NodeCatalog;
    return parsed?.version === 1 && Array.isArray(parsed.servers) ? parsed : undefined;
  }

  async write(catalog: NodeCatalog): Promise<void> {
    try {
      await this.o.client.send(
        new PutObjectCommand({
          Bucket: this.o.bucket,
          Key: this.key,
          Body: gzipSync(JSON.stringify(catalog)),
          ContentType: 'application/gzip',
        }),
      );
    } catch (err) {
      throw translateAwsError(err, 'S3 (writing the node catalogue)');
    }
  }
}
