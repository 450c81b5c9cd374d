/**
 * What the per-owner rate limit costs per API call. In process: `take()` of the DynamoDB token
 * bucket against the bench's DynamoDB Local (p50/p99 ms over many calls, a few owners in turn, none
 * ever refused). Through the local API: the DynamoDB UpdateItem requests the status function makes
 * per GET /v1/tasks/{id} (the rate limit's own; the status read is a GetItem). No targets are set.
 */
import { randomUUID } from 'node:crypto';
import { createAwsClients } from '../../shared/adapters/aws/clients.js';
import { DynamoOwnerRateLimiter } from '../../shared/adapters/dynamodb/owner-rate-limiter.js';
import { systemClock } from '../../shared/ports/clock.js';
import { type Figure, figure } from '../lib/figure.js';
import { percentile } from '../lib/stats.js';
import type { BenchSystem } from '../lib/system.js';
import { requestsByScopeAndOperation } from '../lib/usage.js';

/** A limit no bench call reaches: every take() is the allowed path. */
export const BENCH_RATE_LIMIT = { perSecond: 1_000_000, burst: 1_000_000 };

export async function rateLimitFigures(
  system: BenchSystem,
  opts: { calls: number },
): Promise<Figure[]> {
  const clients = createAwsClients({
    region: system.region,
    dynamodbEndpoint: system.runtime.dynamodbEndpoint,
  });
  const limiter = new DynamoOwnerRateLimiter({
    doc: clients.doc,
    tableName: system.runtime.names.tasksTable,
    clock: systemClock,
    limit: BENCH_RATE_LIMIT,
  });
  const owners = Array.from({ length: 8 }, (_, i) => `bench-owner-${i}`);
  for (let i = 0; i < 100; i++) await limiter.take(owners[i % owners.length] as string);
  const takes: number[] = [];
  for (let i = 0; i < opts.calls; i++) {
    const t = performance.now();
    await limiter.take(owners[i % owners.length] as string);
    takes.push(performance.now() - t);
  }

  const [key] = system.keys;
  if (!key) throw new Error('the rate-limit figures need one API key');
  await system.api.get(key, randomUUID());
  system.meter.reset();
  const latencies: number[] = [];
  const calls = Math.min(opts.calls, 200);
  for (let i = 0; i < calls; i++) latencies.push((await system.api.get(key, randomUUID())).ms);
  const byOperation = requestsByScopeAndOperation(system.meter.snapshot().requests);
  const status = Object.entries(byOperation)
    .filter(([scope]) => scope.includes('status'))
    .map(([, ops]) => ops);
  const updates = status.reduce((n, ops) => n + (ops['DynamoDB/UpdateItem'] ?? 0), 0);
  const details = {
    takes: opts.calls,
    api_calls: calls,
    api_latency_p50_ms: percentile(latencies, 50),
    requests_by_scope_and_operation: byOperation,
    note: "no target set; take() in process against DynamoDB Local (its latency, not DynamoDB's); API calls are GET /v1/tasks/{unknown id}, one client, sequential",
  };
  return [
    figure('ratelimit_take_p50_ms', percentile(takes, 50), 'ms', undefined, details),
    figure('ratelimit_take_p99_ms', percentile(takes, 99), 'ms', undefined, details),
    figure(
      'ratelimit_updates_per_call',
      updates / Math.max(1, calls),
      'requests',
      undefined,
      details,
    ),
  ];
}
