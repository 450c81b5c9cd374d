/** The S3 clients, built once per container. */
import { S3Client } from '@aws-sdk/client-s3';
import { notifyAwsClients } from './observers.js';

type S3Config = { region: string; s3Endpoint?: string };

const s3Options = (cfg: S3Config) => ({
  region: cfg.region,
  // Against an emulator: path-style, so bucket names need no DNS.
  ...(cfg.s3Endpoint ? { endpoint: cfg.s3Endpoint, forcePathStyle: true } : {}),
});

/**
 * S3 for presigning only: checksums computed only when an operation requires them. With the
 * default (WHEN_SUPPORTED, SDK >= 3.729) a presigned PUT carries `x-amz-checksum-crc32` of an
 * empty body, which S3 checks against the file the app later PUTs, and refuses it. Presigning sends
 * nothing, so it is not observed.
 */
export const createS3PresignClient = (cfg: S3Config): S3Client =>
  new S3Client({ ...s3Options(cfg), requestChecksumCalculation: 'WHEN_REQUIRED' });

export function createS3Client(cfg: S3Config, opts: { observe?: boolean } = {}): S3Client {
  const s3 = new S3Client(s3Options(cfg));
  if (opts.observe !== false) notifyAwsClients({ s3 });
  return s3;
}
