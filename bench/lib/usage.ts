/** What a workload used, as the bench measures it, and what that costs at list prices. */
import type { RequestCount } from '../../shared/adapters/aws/request-counter.js';
import {
  DEFAULT_FUNCTION_MEMORY_MB,
  FUNCTION_MEMORY_MB,
  PRICES_USD,
  S3_FREE,
  S3_PUT_CLASS,
} from './prices.js';

/** DynamoDB request units consumed, per scope and operation. */
export interface CapacityUse {
  scope: string;
  operation: string;
  readUnits: number;
  writeUnits: number;
  /** Writes that failed (e.g. a condition): counted as 1 WRU each, which AWS bills at least. */
  failedWrites: number;
}

export interface InvocationUse {
  functionName: string;
  count: number;
  /** Summed wall-clock duration of the invocations, in ms. */
  ms: number;
}

export interface Usage {
  /** SDK requests per scope (function name or the event source), service and operation. */
  requests: RequestCount[];
  capacity: CapacityUse[];
  invocations: InvocationUse[];
  /** Requests through API Gateway. */
  httpApiRequests: number;
}

export interface Cost {
  dynamodb: number;
  sqs: number;
  s3: number;
  lambda: number;
  httpApi: number;
  total: number;
}

export function costOf(usage: Usage, prices = PRICES_USD): Cost {
  let dynamodb = 0;
  for (const c of usage.capacity) {
    dynamodb += c.readUnits * prices.dynamodbReadUnit + c.writeUnits * prices.dynamodbWriteUnit;
  }
  let sqs = 0;
  let s3 = 0;
  for (const r of usage.requests) {
    if (r.service === 'SQS') sqs += r.attempts * prices.sqsRequest;
    else if (r.service === 'S3' && !S3_FREE.has(r.operation)) {
      s3 +=
        r.attempts *
        (S3_PUT_CLASS.has(r.operation) ? prices.s3PutClassRequest : prices.s3GetClassRequest);
    }
  }
  let lambda = 0;
  for (const i of usage.invocations) {
    const gb = (FUNCTION_MEMORY_MB[i.functionName] ?? DEFAULT_FUNCTION_MEMORY_MB) / 1024;
    lambda += i.count * prices.lambdaRequest + (i.ms / 1000) * gb * prices.lambdaGbSecondArm64;
  }
  const httpApi = usage.httpApiRequests * prices.httpApiRequest;
  return { dynamodb, sqs, s3, lambda, httpApi, total: dynamodb + sqs + s3 + lambda + httpApi };
}

/** Scales every figure of a cost, e.g. from a run of n tasks to 1,000 tasks. */
export const scaleCost = (cost: Cost, factor: number): Cost => ({
  dynamodb: cost.dynamodb * factor,
  sqs: cost.sqs * factor,
  s3: cost.s3 * factor,
  lambda: cost.lambda * factor,
  httpApi: cost.httpApi * factor,
  total: cost.total * factor,
});

/** Billed requests (attempts), by `service/operation`, summed over scopes. */
export function requestsByOperation(requests: readonly RequestCount[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of requests) {
    const key = `${r.service}/${r.operation}`;
    out[key] = (out[key] ?? 0) + r.attempts;
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/** Billed requests (attempts) per scope. */
export function requestsByScope(requests: readonly RequestCount[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of requests) out[r.scope ?? ''] = (out[r.scope ?? ''] ?? 0) + r.attempts;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

export const totalRequests = (requests: readonly RequestCount[]): number =>
  requests.reduce((n, r) => n + r.attempts, 0);

/**
 * Splits a usage in two by a share per scope (0-1): the share goes to `moved`, the rest stays in
 * `kept`. Counts become fractional where a scope is shared (e.g. an authorizer serving both).
 */
export function splitUsage(
  usage: Usage,
  share: (scope: string) => number,
  httpApi: { kept: number; moved: number },
): { kept: Usage; moved: Usage } {
  const part = (f: (s: string) => number): Usage => ({
    requests: usage.requests
      .map((r) => {
        const k = f(r.scope ?? '');
        return { ...r, calls: r.calls * k, attempts: r.attempts * k };
      })
      .filter((r) => r.attempts > 0 || r.calls > 0),
    capacity: usage.capacity
      .map((c) => {
        const k = f(c.scope);
        return {
          ...c,
          readUnits: c.readUnits * k,
          writeUnits: c.writeUnits * k,
          failedWrites: c.failedWrites * k,
        };
      })
      .filter((c) => c.readUnits > 0 || c.writeUnits > 0),
    invocations: usage.invocations
      .map((i) => {
        const k = f(i.functionName);
        return { ...i, count: i.count * k, ms: i.ms * k };
      })
      .filter((i) => i.count > 0),
    httpApiRequests: 0,
  });
  const kept = part((s) => 1 - share(s));
  const moved = part(share);
  kept.httpApiRequests = httpApi.kept;
  moved.httpApiRequests = httpApi.moved;
  return { kept, moved };
}

export function capacityTotals(usage: Usage): { readUnits: number; writeUnits: number } {
  let readUnits = 0;
  let writeUnits = 0;
  for (const c of usage.capacity) {
    readUnits += c.readUnits;
    writeUnits += c.writeUnits;
  }
  return { readUnits, writeUnits };
}

/** Billed requests (attempts) per scope, then per `service/operation`. */
export function requestsByScopeAndOperation(
  requests: readonly RequestCount[],
): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const r of [...requests].sort((a, b) => (a.scope ?? '').localeCompare(b.scope ?? ''))) {
    const scope = out[r.scope ?? ''] ?? {};
    out[r.scope ?? ''] = scope;
    const key = `${r.service}/${r.operation}`;
    scope[key] = (scope[key] ?? 0) + r.attempts;
  }
  return out;
}

/** DynamoDB write and read units per `scope/operation`. */
export function unitsByScopeAndOperation(
  usage: Usage,
): Record<string, { write: number; read: number }> {
  const out: Record<string, { write: number; read: number }> = {};
  for (const c of [...usage.capacity].sort((a, b) =>
    `${a.scope}/${a.operation}`.localeCompare(`${b.scope}/${b.operation}`),
  )) {
    const key = `${c.scope}/${c.operation}`;
    const e = out[key] ?? { write: 0, read: 0 };
    out[key] = e;
    e.write += c.writeUnits;
    e.read += c.readUnits;
  }
  return out;
}
