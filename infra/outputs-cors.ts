/**
 * The outputs bucket's CORS rule, one definition for the CDK bucket (infra/constructs/outputs-bucket.ts)
 * and the local runtime's S3 (infra/local/s3-cors-front.ts): browsers on the configured origins may PUT
 * uploads and GET outputs through presigned URLs.
 */
export interface OutputsCorsRule {
  allowedOrigins: readonly string[];
  allowedMethods: readonly ('PUT' | 'GET' | 'HEAD')[];
  allowedHeaders: readonly string[];
  exposedHeaders: readonly string[];
  maxAgeSeconds: number;
}

export function outputsCorsRule(origins: readonly string[]): OutputsCorsRule {
  return {
    allowedOrigins: [...origins],
    allowedMethods: ['PUT', 'GET', 'HEAD'],
    // Presigned PUTs carry Content-Type and may carry checksum headers of the SDK.
    allowedHeaders: ['*'],
    exposedHeaders: ['ETag'],
    maxAgeSeconds: 3000,
  };
}
