/**
 * Creates the tables, queues and bucket described in shared/resources.ts on the emulators (the CDK
 * stacks build the same description in AWS). Idempotent: existing resources are left as they are.
 */
import {
  type AttributeDefinition,
  CreateTableCommand,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import {
  API_KEYS_TABLE,
  DISPATCH_DLQ,
  DISPATCH_QUEUE,
  OUTPUTS_BUCKET,
  type QueueSpec,
  TASKS_TABLE,
  type TableSpec,
  WEBHOOK_DLQ,
  WEBHOOK_QUEUE,
} from '../../shared/resources.js';

export interface LocalResourceNames {
  tasksTable: string;
  apiKeysTable: string;
  bucket: string;
  queueUrl: string;
  queueArn: string;
  dlqUrl: string;
  dlqArn: string;
  webhookQueueUrl: string;
  webhookQueueArn: string;
  webhookDlqUrl: string;
  webhookDlqArn: string;
}

async function createTable(ddb: DynamoDBClient, spec: TableSpec, name = spec.localName) {
  const attrs = new Map<string, AttributeDefinition>();
  const addAttr = (n: string) => attrs.set(n, { AttributeName: n, AttributeType: 'S' });
  addAttr(spec.partitionKey);
  if (spec.sortKey) addAttr(spec.sortKey);
  const gsis: GlobalSecondaryIndex[] = spec.indexes.map((ix) => {
    addAttr(ix.partitionKey);
    if (ix.sortKey) addAttr(ix.sortKey);
    return {
      IndexName: ix.name,
      KeySchema: [
        { AttributeName: ix.partitionKey, KeyType: 'HASH' },
        ...(ix.sortKey ? [{ AttributeName: ix.sortKey, KeyType: 'RANGE' as const }] : []),
      ],
      Projection:
        typeof ix.projection === 'string'
          ? { ProjectionType: ix.projection }
          : { ProjectionType: 'INCLUDE', NonKeyAttributes: [...ix.projection] },
    };
  });
  try {
    await ddb.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...attrs.values()],
        KeySchema: [
          { AttributeName: spec.partitionKey, KeyType: 'HASH' },
          ...(spec.sortKey ? [{ AttributeName: spec.sortKey, KeyType: 'RANGE' as const }] : []),
        ],
        ...(gsis.length ? { GlobalSecondaryIndexes: gsis } : {}),
      }),
    );
    if (spec.ttlAttribute) {
      await ddb.send(
        new UpdateTimeToLiveCommand({
          TableName: name,
          TimeToLiveSpecification: { AttributeName: spec.ttlAttribute, Enabled: true },
        }),
      );
    }
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
  }
  return name;
}

async function createQueue(sqs: SQSClient, spec: QueueSpec, suffix: string, dlqArn?: string) {
  const name = spec.localName + suffix;
  const attributes: Record<string, string> = {
    VisibilityTimeout: String(spec.visibilityTimeoutSeconds),
    MessageRetentionPeriod: String(spec.retentionSeconds),
  };
  if (spec.deadLetter && dlqArn) {
    attributes.RedrivePolicy = JSON.stringify({
      deadLetterTargetArn: dlqArn,
      maxReceiveCount: spec.deadLetter.maxReceiveCount,
    });
  }
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: name, Attributes: attributes }),
  );
  if (!QueueUrl) throw new Error(`CreateQueue ${name} returned no URL`);
  const attrs = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  const arn = attrs.Attributes?.QueueArn;
  if (!arn) throw new Error(`Queue ${name} has no ARN`);
  return { url: QueueUrl, arn };
}

/** A queue and its dead-letter queue, the one redriving to the other. */
async function createQueuePair(sqs: SQSClient, main: QueueSpec, dlq: QueueSpec, suffix: string) {
  const dead = await createQueue(sqs, dlq, suffix);
  return [await createQueue(sqs, main, suffix, dead.arn), dead] as const;
}

/** The queues (with redrive) and the bucket, on the S3 + SQS emulator. */
export async function bootstrapQueuesAndBucket(
  clients: { sqs: SQSClient; s3: S3Client },
  suffix = '',
): Promise<Omit<LocalResourceNames, 'tasksTable' | 'apiKeysTable'>> {
  const [queue, dlq] = await createQueuePair(clients.sqs, DISPATCH_QUEUE, DISPATCH_DLQ, suffix);
  const [webhooks, webhookDlq] = await createQueuePair(
    clients.sqs,
    WEBHOOK_QUEUE,
    WEBHOOK_DLQ,
    suffix,
  );
  const bucket = OUTPUTS_BUCKET.localName + suffix.toLowerCase();
  try {
    await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw err;
  }
  return {
    bucket,
    queueUrl: queue.url,
    queueArn: queue.arn,
    dlqUrl: dlq.url,
    dlqArn: dlq.arn,
    webhookQueueUrl: webhooks.url,
    webhookQueueArn: webhooks.arn,
    webhookDlqUrl: webhookDlq.url,
    webhookDlqArn: webhookDlq.arn,
  };
}

/** The tables, on DynamoDB. */
export async function bootstrapTables(
  dynamodb: DynamoDBClient,
  suffix = '',
): Promise<Pick<LocalResourceNames, 'tasksTable' | 'apiKeysTable'>> {
  const tasksTable = await createTable(dynamodb, TASKS_TABLE, TASKS_TABLE.localName + suffix);
  const apiKeysTable = await createTable(
    dynamodb,
    API_KEYS_TABLE,
    API_KEYS_TABLE.localName + suffix,
  );
  return { tasksTable, apiKeysTable };
}

/**
 * Create every resource. `suffix` makes names unique (tests run several stacks side by side on one
 * set of emulators).
 */
export async function bootstrapLocalResources(
  clients: { dynamodb: DynamoDBClient; sqs: SQSClient; s3: S3Client },
  suffix = '',
): Promise<LocalResourceNames> {
  const [tables, rest] = await Promise.all([
    bootstrapTables(clients.dynamodb, suffix),
    bootstrapQueuesAndBucket(clients, suffix),
  ]);
  return { ...tables, ...rest };
}
