/**
 * Public on-demand list prices, us-east-1 (N. Virginia), in USD, as the AWS pricing pages stated them
 * in late 2025 (aws.amazon.com/dynamodb/pricing/on-demand/, /sqs/pricing/, /s3/pricing/,
 * /lambda/pricing/, /api-gateway/pricing/). Prices change: check those pages before quoting a figure.
 * Free tiers are ignored: the figures are what a task costs at the margin.
 *
 * - DynamoDB on-demand, Standard table class: $0.625 per million write request units (WRU) and $0.125
 *   per million read request units (RRU). One WRU writes up to 1 KB of item (transactional: 2); one RRU
 *   reads up to 4 KB strongly consistent (eventually consistent: half; transactional: 2). So request
 *   units grow with item size, and every write to a table also writes each index whose projected
 *   attributes change (an index key change costs a delete plus a put there). The bench asks DynamoDB
 *   for the units each request consumed (`ReturnConsumedCapacity: INDEXES`) rather than guessing.
 * - SQS standard queue: $0.40 per million requests; every API action is one request per 64 KB chunk of
 *   payload, and a batch of up to 10 messages is one request.
 * - S3 Standard: PUT, COPY, POST and LIST requests $0.005 per 1,000 (multipart create, each part and
 *   complete are each one); GET, HEAD and every other request $0.0004 per 1,000; DELETE and abort are
 *   free. Storage ($0.023/GB-month) and data transfer out are excluded: they depend on output sizes
 *   and how users fetch them, not on this code.
 * - Lambda on arm64: $0.20 per million requests and $0.0000133334 per GB-second of duration.
 * - API Gateway HTTP API: $1.00 per million requests (first 300 million per month).
 */
export const PRICES_USD = {
  dynamodbWriteUnit: 0.625 / 1e6,
  dynamodbReadUnit: 0.125 / 1e6,
  sqsRequest: 0.4 / 1e6,
  s3PutClassRequest: 0.005 / 1000,
  s3GetClassRequest: 0.0004 / 1000,
  lambdaRequest: 0.2 / 1e6,
  lambdaGbSecondArm64: 0.0000133334,
  httpApiRequest: 1.0 / 1e6,
} as const;

export const PRICE_SOURCE =
  'us-east-1 on-demand list prices (AWS pricing pages, late 2025): DynamoDB $0.625/M WRU, $0.125/M RRU (units from ConsumedCapacity); ' +
  'SQS $0.40/M requests; S3 PUT/COPY/POST/LIST $0.005/1000, GET/HEAD/other $0.0004/1000, DELETE free; ' +
  'Lambda arm64 $0.20/M requests + $0.0000133334/GB-s; HTTP API $1.00/M requests; free tiers, storage and transfer excluded';

/** S3 operations billed at the PUT, COPY, POST, LIST rate. */
export const S3_PUT_CLASS: ReadonlySet<string> = new Set([
  'PutObject',
  'CopyObject',
  'CreateMultipartUpload',
  'UploadPart',
  'UploadPartCopy',
  'CompleteMultipartUpload',
  'ListObjects',
  'ListObjectsV2',
  'ListObjectVersions',
  'ListParts',
  'ListMultipartUploads',
  'ListBuckets',
  'PutObjectTagging',
  'PutObjectAcl',
]);

/** S3 operations that are free. */
export const S3_FREE: ReadonlySet<string> = new Set([
  'DeleteObject',
  'DeleteObjects',
  'AbortMultipartUpload',
]);

/** Memory each function is deployed with (infra/constructs: 512 MB default, the poller 1024 MB). */
export const FUNCTION_MEMORY_MB: Readonly<Record<string, number>> = { poller: 1024 };
export const DEFAULT_FUNCTION_MEMORY_MB = 512;
