import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { defineStacks } from '../../infra/comfy-serverless-app.js';
import type { StatefulStack } from '../../infra/stacks/stateful-stack.js';
import { OUTPUTS_BUCKET, TASKS_TABLE } from '../../shared/resources.js';
import { nagFindings, testApp, testSettings } from './support/test-app.js';

describe('StatefulStack', () => {
  let stack: StatefulStack;
  let template: Template;

  beforeAll(() => {
    const app = testApp();
    stack = defineStacks(app, testSettings({ corsOrigins: 'https://app.example.com' })).stateful;
    template = Template.fromStack(stack);
  });

  it('is protected against termination', () => {
    expect(stack.terminationProtection).toBe(true);
  });

  it('pins the logical ids of the tables and the outputs bucket', () => {
    expect(template.findResources('AWS::DynamoDB::Table')).toHaveProperty('TasksTable');
    expect(template.findResources('AWS::DynamoDB::Table')).toHaveProperty('ApiKeysTable');
    expect(template.findResources('AWS::S3::Bucket')).toHaveProperty('OutputsBucket');
  });

  it('retains every table and bucket when they leave the stack', () => {
    for (const type of ['AWS::DynamoDB::Table', 'AWS::S3::Bucket']) {
      const resources = Object.values(template.findResources(type));
      expect(resources.length).toBeGreaterThan(0);
      for (const resource of resources) {
        expect(resource).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      }
    }
  });

  it('builds the tasks table on demand, with PITR, TTL and the indexes of resources.ts', () => {
    const table = template.findResources('AWS::DynamoDB::Table').TasksTable;
    expect(table?.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: TASKS_TABLE.ttlAttribute, Enabled: true },
      DeletionProtectionEnabled: true,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    });
    const indexes = table?.Properties.GlobalSecondaryIndexes as {
      IndexName: string;
      KeySchema: unknown;
      Projection: { ProjectionType: string };
    }[];
    expect(indexes.map((i) => i.IndexName)).toEqual(TASKS_TABLE.indexes.map((i) => i.name));
    const ownerActive = indexes.find((i) => i.IndexName === 'ownerActive');
    expect(ownerActive?.Projection.ProjectionType).toBe('KEYS_ONLY');
    expect(indexes.find((i) => i.IndexName === 'atComfy')?.KeySchema).toEqual([
      { AttributeName: 'gsiActive', KeyType: 'HASH' },
      { AttributeName: 'gsiCreated', KeyType: 'RANGE' },
    ]);
  });

  it('builds the API keys table with its keyId index', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'keyHash', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      GlobalSecondaryIndexes: [Match.objectLike({ IndexName: 'byKeyId' })],
    });
  });

  it('keeps the outputs bucket private, encrypted and TLS-only', () => {
    const bucket = template.findResources('AWS::S3::Bucket').OutputsBucket;
    expect(bucket?.Properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
        ],
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      LoggingConfiguration: expect.objectContaining({ LogFilePrefix: 'outputs-bucket/' }),
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: 'OutputsBucket' },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          Match.objectLike({
            Effect: 'Deny',
            Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
          }),
        ]),
      },
    });
  });

  it('expires each prefix as resources.ts says and aborts stale multipart uploads', () => {
    const rules = template.findResources('AWS::S3::Bucket').OutputsBucket?.Properties
      .LifecycleConfiguration.Rules as Record<string, unknown>[];
    for (const { prefix, days } of OUTPUTS_BUCKET.expiry) {
      expect(rules).toContainEqual(
        expect.objectContaining({ Prefix: prefix, ExpirationInDays: days, Status: 'Enabled' }),
      );
    }
    expect(rules).toContainEqual(
      expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }),
    );
  });

  it('allows presigned browser PUT and GET from the configured origins only', () => {
    const bucket = template.findResources('AWS::S3::Bucket').OutputsBucket;
    expect(bucket?.Properties.CorsConfiguration).toEqual({
      CorsRules: [
        expect.objectContaining({
          AllowedOrigins: ['https://app.example.com'],
          AllowedMethods: expect.arrayContaining(['PUT', 'GET']),
          ExposedHeaders: ['ETag'],
        }),
      ],
    });
  });

  it('has no CORS configuration when no origins are configured', () => {
    const app = testApp();
    const bare = defineStacks(app, testSettings({ corsOrigins: '' })).stateful;
    const bucket = Template.fromStack(bare).findResources('AWS::S3::Bucket').OutputsBucket;
    expect(bucket?.Properties.CorsConfiguration).toBeUndefined();
  });

  it('passes cdk-nag AwsSolutions with no unacknowledged finding', () => {
    expect(nagFindings(stack)).toEqual([]);
  });
});
