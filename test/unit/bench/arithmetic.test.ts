/** The bench's arithmetic: percentiles, busy time, costs, targets. */
import { describe, expect, it } from 'vitest';
import { figure, meets, round } from '../../../bench/lib/figure.js';
import { busyTime } from '../../../bench/lib/intervals.js';
import { PRICES_USD } from '../../../bench/lib/prices.js';
import { median, percentile } from '../../../bench/lib/stats.js';
import {
  costOf,
  requestsByOperation,
  scaleCost,
  splitUsage,
  totalRequests,
  type Usage,
} from '../../../bench/lib/usage.js';

describe('percentile (nearest rank)', () => {
  it('returns one of the values, the smallest covering p% of them', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile(values, 0)).toBe(1);
    expect(median([3, 1, 2])).toBe(2);
    expect(percentile([7], 99)).toBe(7);
  });

  it('takes the top value for p99 of fewer than 100 values', () => {
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99)).toBe(10);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
  });

  it('is NaN for no values and refuses p outside 0-100', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });
});

describe('busyTime', () => {
  it('divides the union of the runs by the span from first start to last end', () => {
    const b = busyTime([
      { start: 0, end: 500 },
      { start: 600, end: 1100 },
      { start: 1100, end: 1600 },
    ]);
    expect(b.busyMs).toBe(1500);
    expect(b.spanMs).toBe(1600);
    expect(b.fraction).toBeCloseTo(1500 / 1600);
    expect(b.gapsMs).toEqual([100]);
  });

  it('counts overlapping runs once and lists gaps longest first', () => {
    const b = busyTime([
      { start: 1000, end: 1200 },
      { start: 0, end: 100 },
      { start: 50, end: 150 },
      { start: 400, end: 500 },
    ]);
    expect(b.busyMs).toBe(150 + 100 + 200);
    expect(b.gapsMs).toEqual([500, 250]);
  });

  it('is fully busy for no runs', () => {
    expect(busyTime([]).fraction).toBe(1);
  });
});

const usage = (): Usage => ({
  requests: [
    { scope: 'submit', service: 'DynamoDB', operation: 'PutItem', calls: 2, attempts: 2 },
    { scope: 'submit', service: 'SQS', operation: 'SendMessage', calls: 2, attempts: 3 },
    { scope: 'poller', service: 'S3', operation: 'PutObject', calls: 2, attempts: 2 },
    { scope: 'poller', service: 'S3', operation: 'HeadObject', calls: 1, attempts: 1 },
    { scope: 'poller', service: 'S3', operation: 'DeleteObject', calls: 5, attempts: 5 },
    { scope: 'status', service: 'DynamoDB', operation: 'GetItem', calls: 10, attempts: 10 },
  ],
  capacity: [
    { scope: 'submit', operation: 'PutItem', readUnits: 0, writeUnits: 8, failedWrites: 0 },
    { scope: 'status', operation: 'GetItem', readUnits: 5, writeUnits: 0, failedWrites: 0 },
  ],
  invocations: [
    { functionName: 'submit', count: 2, ms: 2000 },
    { functionName: 'poller', count: 1, ms: 10_000 },
  ],
  httpApiRequests: 12,
});

describe('costOf', () => {
  it('prices DynamoDB by consumed units, SQS and S3 by billed attempts, Lambda by requests and GB-s', () => {
    const c = costOf(usage());
    expect(c.dynamodb).toBeCloseTo(
      8 * PRICES_USD.dynamodbWriteUnit + 5 * PRICES_USD.dynamodbReadUnit,
    );
    expect(c.sqs).toBeCloseTo(3 * PRICES_USD.sqsRequest);
    // PutObject at the PUT rate, HeadObject at the GET rate, DeleteObject free.
    expect(c.s3).toBeCloseTo(2 * PRICES_USD.s3PutClassRequest + PRICES_USD.s3GetClassRequest);
    // submit 512 MB for 2 s, the poller 1024 MB for 10 s.
    expect(c.lambda).toBeCloseTo(
      3 * PRICES_USD.lambdaRequest + (0.5 * 2 + 1 * 10) * PRICES_USD.lambdaGbSecondArm64,
    );
    expect(c.httpApi).toBeCloseTo(12 * PRICES_USD.httpApiRequest);
    expect(c.total).toBeCloseTo(c.dynamodb + c.sqs + c.s3 + c.lambda + c.httpApi);
    expect(scaleCost(c, 1000 / 200).total).toBeCloseTo(c.total * 5);
  });

  it('uses the published list prices', () => {
    expect(PRICES_USD.dynamodbWriteUnit * 1e6).toBeCloseTo(0.625);
    expect(PRICES_USD.dynamodbReadUnit * 1e6).toBeCloseTo(0.125);
    expect(PRICES_USD.sqsRequest * 1e6).toBeCloseTo(0.4);
    expect(PRICES_USD.s3PutClassRequest * 1000).toBeCloseTo(0.005);
    expect(PRICES_USD.s3GetClassRequest * 1000).toBeCloseTo(0.0004);
    expect(PRICES_USD.lambdaRequest * 1e6).toBeCloseTo(0.2);
  });
});

describe('splitUsage', () => {
  it('moves a share of each scope to the other side, requests, units and invocations alike', () => {
    const { kept, moved } = splitUsage(
      usage(),
      (scope) => (scope === 'status' ? 1 : scope === 'submit' ? 0.5 : 0),
      { kept: 2, moved: 10 },
    );
    expect(totalRequests(moved.requests)).toBe(10 + 2.5);
    expect(totalRequests(kept.requests)).toBe(2.5 + 2 + 1 + 5);
    expect(requestsByOperation(kept.requests)).toEqual({
      'DynamoDB/PutItem': 1,
      'S3/DeleteObject': 5,
      'S3/HeadObject': 1,
      'S3/PutObject': 2,
      'SQS/SendMessage': 1.5,
    });
    expect(kept.capacity).toEqual([
      { scope: 'submit', operation: 'PutItem', readUnits: 0, writeUnits: 4, failedWrites: 0 },
    ]);
    expect(moved.invocations).toEqual([{ functionName: 'submit', count: 1, ms: 1000 }]);
    expect([kept.httpApiRequests, moved.httpApiRequests]).toEqual([2, 10]);
  });
});

describe('figure', () => {
  it('says whether the value meets its target, and has none without one', () => {
    expect(figure('x', 0.99, 'ratio', { op: '>=', value: 0.98 })).toMatchObject({
      metric: 'x',
      value: 0.99,
      target: '>= 0.98',
      met: true,
    });
    expect(figure('x', 16, 'requests', { op: '<=', value: 15 }).met).toBe(false);
    expect(figure('x', 3, 'ms').met).toBeNull();
    expect(meets(500, { op: '<', value: 500 })).toBe(false);
    expect(meets(2, { op: '>', value: 1 })).toBe(true);
  });

  it('rounds to significant digits without zeroing small values', () => {
    expect(round(0.000123456, 3)).toBe(0.000123);
    expect(round(1234.5678, 3)).toBe(1235);
    expect(round(12.3456, 3)).toBe(12.3);
  });
});

describe('table', () => {
  it('prints every figure with its target and whether it met it', async () => {
    const { table } = await import('../../../bench/lib/report.js');
    const out = table([
      { ...figure('gpu_busy_fraction', 0.99971, 'ratio', { op: '>=', value: 0.98 }), load_1m: 2.5 },
      figure('aws_requests_per_task', 16.25, 'requests', { op: '<=', value: 15 }),
      {
        metric: 'copy_1gib_mb_per_s',
        value: null,
        unit: 'MiB/s',
        target: null,
        met: null,
        error: 'x',
      },
    ]);
    const lines = out.split('\n');
    expect(lines[2]).toMatch(/^gpu_busy_fraction\s+0\.9997\s+ratio\s+>= 0\.98\s+yes\s+2\.50$/);
    expect(lines[3]).toMatch(/aws_requests_per_task\s+16\.25\s+requests\s+<= 15\s+MISSED/);
    expect(lines[4]).toMatch(/copy_1gib_mb_per_s\s+-\s+MiB\/s\s+-\s+n\/a\s+-\s+error: x/);
  });
});
