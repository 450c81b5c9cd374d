/** SQS records and dispatcher settings shared by the dispatcher's handler tests. */
import type { SQSRecord } from 'aws-lambda';
import type { DispatcherSettings } from '../../../functions/dispatcher/handler.js';

export const DISPATCHER_SETTINGS: DispatcherSettings = {
  clientId: 'comfy-serverless',
  defer: { baseSeconds: 1, maxSeconds: 16 },
  recheckEvery: 8,
  queueTimeoutSeconds: 3600,
  claimSeconds: 60,
  queuedHeartbeatMs: 600_000,
  maxInFlight: 2,
  queueCacheMs: 1000,
  concurrency: 4,
  holdMs: 0,
  holdPollMs: 250,
  retry: { baseSeconds: 10, maxSeconds: 300 },
};

/** An SQS record as Lambda's event source mapping delivers it. */
export function sqsRecord(
  body: unknown,
  opts: { id: string; receiveCount?: number; queue?: string },
): SQSRecord {
  return {
    messageId: opts.id,
    receiptHandle: `rh-${opts.id}`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: String(opts.receiveCount ?? 1),
      SentTimestamp: '0',
      SenderId: 'x',
      ApproximateFirstReceiveTimestamp: '0',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${opts.queue ?? 'dispatch'}`,
    awsRegion: 'us-east-1',
  };
}
