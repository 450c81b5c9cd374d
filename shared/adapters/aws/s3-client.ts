/** The S3 client, built once per container. */
import { S3Client } from '@aws-sdk/client-s3';
import { notifyAwsClients } from './observers.js';

export function createS3Client(
  cfg: { region: string; s3Endpoint?: string },
  opts: { observe?: boolean } = {},
): S3Client {
  const s3 = new S3Client({
    region: cfg.region,
    // Against an emulator: path-style, so bucket names need no DNS.
    ...(cfg.s3Endpoint ? { endpoint: cfg.s3Endpoint, forcePathStyle: true } : {}),
  });
  if (opts.observe !== false) notifyAwsClients({ s3 });
  return s3;
}
