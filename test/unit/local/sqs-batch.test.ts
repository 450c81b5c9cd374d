import { describe, expect, it } from 'vitest';
import { failedMessageIds, toSqsRecord } from '../../../infra/local/sqs-event-source.js';

describe('failedMessageIds (ReportBatchItemFailures rules)', () => {
  const ids = ['m1', 'm2', 'm3'];
  it('treats no result, no list and an empty list as full success', () => {
    for (const r of [null, undefined, {}, { batchItemFailures: [] }, 'ok']) {
      expect(failedMessageIds(r, ids)).toEqual(new Set());
    }
  });
  it('returns the named failures', () => {
    const r = { batchItemFailures: [{ itemIdentifier: 'm2' }, { itemIdentifier: 'm3' }] };
    expect(failedMessageIds(r, ids)).toEqual(new Set(['m2', 'm3']));
  });
  it('fails the whole batch for an unknown, empty or malformed identifier', () => {
    expect(failedMessageIds({ batchItemFailures: [{ itemIdentifier: 'zz' }] }, ids)).toBe('all');
    expect(failedMessageIds({ batchItemFailures: [{ itemIdentifier: '' }] }, ids)).toBe('all');
    expect(failedMessageIds({ batchItemFailures: [{}] }, ids)).toBe('all');
    expect(failedMessageIds({ batchItemFailures: 'm1' }, ids)).toBe('all');
  });
});

describe('toSqsRecord', () => {
  it('builds the record Lambda passes, with the event source ARN and region', () => {
    const r = toSqsRecord(
      {
        MessageId: 'id1',
        ReceiptHandle: 'rh',
        Body: '{"taskId":"t"}',
        MD5OfBody: 'md5',
        Attributes: { ApproximateReceiveCount: '2', SentTimestamp: '100' },
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'dispatch' } },
      },
      'arn:aws:sqs:us-east-1:000000000000:q',
      'us-east-1',
    );
    expect(r).toMatchObject({
      messageId: 'id1',
      receiptHandle: 'rh',
      body: '{"taskId":"t"}',
      md5OfBody: 'md5',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:q',
      awsRegion: 'us-east-1',
      attributes: { ApproximateReceiveCount: '2', SentTimestamp: '100' },
      messageAttributes: {
        kind: {
          dataType: 'String',
          stringValue: 'dispatch',
          stringListValues: [],
          binaryListValues: [],
        },
      },
    });
    expect(r.attributes.ApproximateFirstReceiveTimestamp).toMatch(/^\d+$/);
  });
});
