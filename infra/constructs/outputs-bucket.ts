/**
 * The outputs bucket: task outputs, uploaded input images and stored workflows, each prefix expiring
 * as shared/resources.ts says. Private (all public access blocked, TLS only, SSE-S3), reached by
 * browsers only through presigned URLs, so CORS allows PUT/GET/HEAD from the configured origins.
 * Server access logs go to a second bucket that keeps them for `accessLogRetentionDays`.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  type CorsRule,
  HttpMethods,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { BucketSpec } from '../../shared/resources.js';
import { outputsCorsRule } from '../outputs-cors.js';

export interface OutputsBucketProps {
  /** Expiry per prefix. */
  readonly spec: BucketSpec;
  /**
   * Browser origins allowed to PUT uploads and GET outputs with presigned URLs. Empty: no CORS
   * configuration (server-side and mobile clients need none).
   * @default []
   */
  readonly corsOrigins?: readonly string[];
  /**
   * Days the server access logs are kept.
   * @default 90
   */
  readonly accessLogRetentionDays?: number;
  /**
   * What CloudFormation does with the buckets when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

export class OutputsBucket extends Construct {
  public readonly bucket: Bucket;
  public readonly accessLogsBucket: Bucket;

  constructor(scope: Construct, id: string, props: OutputsBucketProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const common = {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      removalPolicy,
    };

    this.accessLogsBucket = new Bucket(this, 'AccessLogs', {
      ...common,
      // The S3 log delivery service writes with bucket-owner-enforced ownership.
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(props.accessLogRetentionDays ?? 90) }],
    });

    const origins = props.corsOrigins ?? [];
    const rule = outputsCorsRule(origins);
    const cors: CorsRule[] = origins.length
      ? [
          {
            allowedOrigins: [...rule.allowedOrigins],
            allowedMethods: rule.allowedMethods.map((m) => HttpMethods[m]),
            allowedHeaders: [...rule.allowedHeaders],
            exposedHeaders: [...rule.exposedHeaders],
            maxAge: rule.maxAgeSeconds,
          },
        ]
      : [];

    this.bucket = new Bucket(this, 'Bucket', {
      ...common,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'outputs-bucket/',
      cors,
      lifecycleRules: [
        ...props.spec.expiry.map(({ prefix, days }) => ({
          id: `expire-${prefix.replace(/\/$/, '')}`,
          prefix,
          expiration: Duration.days(days),
        })),
        // Browser uploads that never complete leave parts behind; they are billed until aborted.
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
    // Renaming or moving the construct must never replace (and so empty) the bucket.
    (this.bucket.node.defaultChild as CfnBucket).overrideLogicalId(props.spec.id);
  }
}
