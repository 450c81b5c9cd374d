import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createAwsClients } from '../../../shared/adapters/aws/clients.js';
import { S3ArtifactStore } from '../../../shared/adapters/s3/artifact-store.js';

/**
 * fauxqs checks neither signatures nor checksums, so what S3 would check is read from the URL itself:
 * SDK >= 3.729 adds `x-amz-checksum-crc32` of an empty body at presign time, which real S3 then
 * compares with the uploaded file and refuses.
 */
describe('presigned upload URLs', () => {
  beforeEach(() => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');
  });
  afterEach(() => vi.unstubAllEnvs());

  const params = async (store: S3ArtifactStore) => {
    const { url } = await store.presignPut('uploads/alice/x.png', 'image/png', 1234, 900);
    return new URL(url).searchParams;
  };

  it('carry no checksum when made with the presigning client', async () => {
    // Prepare
    const clients = createAwsClients({ region: 'us-east-1' });
    const store = new S3ArtifactStore({
      client: clients.s3,
      presignClient: clients.s3Presign,
      bucket: 'outputs',
    });
    // Act
    const q = await params(store);
    // Assess
    const names = [...q.keys()].map((k) => k.toLowerCase());
    expect(names.filter((k) => k.includes('checksum'))).toEqual([]);
    expect(q.get('X-Amz-SignedHeaders')).toBe('content-length;content-type;host');
    expect(q.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('would carry the empty-body CRC32 with the default client (what the presigning client avoids)', async () => {
    // Prepare
    const clients = createAwsClients({ region: 'us-east-1' });
    const store = new S3ArtifactStore({ client: clients.s3, bucket: 'outputs' });
    // Act
    const q = await params(store);
    // Assess
    expect(q.get('x-amz-checksum-crc32')).toBe('AAAAAA==');
  });
});
