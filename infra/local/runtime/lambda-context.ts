/**
 * A Lambda `Context` like the one the Node.js runtime passes: request id, function name and ARN,
 * memory, log group and stream, and `getRemainingTimeInMillis()` counting down to the timeout.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

export const LOCAL_ACCOUNT_ID = '000000000000';

export interface LambdaContextOptions {
  functionName: string;
  timeoutMs: number;
  region: string;
  memoryMb?: number;
  /** When the invocation started (epoch ms). */
  startedAt?: number;
}

export function createLambdaContext(opts: LambdaContextOptions): Context {
  const startedAt = opts.startedAt ?? Date.now();
  const deadline = startedAt + opts.timeoutMs;
  const day = new Date(startedAt).toISOString().slice(0, 10).replaceAll('-', '/');
  const notSupported = () => {
    throw new Error('The callback-style context methods are not supported; return a promise.');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: opts.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${opts.region}:${LOCAL_ACCOUNT_ID}:function:${opts.functionName}`,
    memoryLimitInMB: String(opts.memoryMb ?? 1024),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${opts.functionName}`,
    logStreamName: `${day}/[$LATEST]${randomUUID().replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: notSupported,
    fail: notSupported,
    succeed: notSupported,
  };
}
