/** The dead-letter consumer's dependencies, built once per container from its own config. */
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoClientsFor, s3ClientFor, sqsClientFor } from '../../shared/composition/aws.js';
import { artifactStoreFor, writingTaskRepositoryFor } from '../../shared/composition/storage.js';
import type { ConfigOf } from '../../shared/manifest.js';
import { logger, metrics } from '../../shared/observability.js';
import { systemClock } from '../../shared/ports/clock.js';
import type { DeadLetterDeps } from './handler.js';
import type { manifest } from './manifest.js';

export function buildDeps(
  config: ConfigOf<typeof manifest>,
  clients: { doc: DynamoDBDocumentClient; s3: S3Client } = {
    doc: dynamoClientsFor(config).doc,
    s3: s3ClientFor(config),
  },
): DeadLetterDeps {
  logger.setLogLevel(config.LOG_LEVEL);
  const clock = systemClock;
  // Large workflows live in S3; the repository reads them back when it returns a task.
  const artifacts = artifactStoreFor(config, clients.s3, clock);
  const tasks = writingTaskRepositoryFor(
    config,
    clients.doc,
    () => sqsClientFor(config),
    artifacts,
    clock,
  );
  return { tasks, clock, metrics };
}
