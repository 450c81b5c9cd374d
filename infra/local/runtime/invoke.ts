/**
 * Runs a function's exported `handler` the way the Lambda Node.js runtime does: the event arrives
 * as parsed JSON (a fresh copy), the result leaves as JSON (so `undefined` fields vanish and a
 * missing result is `null`), the handler may return a promise or use the callback, and the call
 * fails with a timeout error when it outlives the function's timeout. Locally the timed-out handler
 * cannot be frozen: it keeps running in the background, but its result is ignored.
 */
import type { Callback, Context } from 'aws-lambda';
import { createLambdaContext } from './lambda-context.js';

// biome-ignore lint/suspicious/noExplicitAny: any Lambda handler shape
export type AnyHandler = (event: any, context: Context, callback: Callback) => unknown;

export interface LocalFunction {
  /** The folder under functions/, also the local function name. */
  name: string;
  handler: AnyHandler;
  timeoutMs: number;
  memoryMb?: number;
}

export class LambdaTimeoutError extends Error {
  readonly code = 'LAMBDA_TIMEOUT';
  constructor(fn: string, timeoutMs: number) {
    super(`${fn}: Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`);
  }
}

/** The error a handler threw, as the runtime would report it (errorType, errorMessage). */
export class LambdaInvocationError extends Error {
  readonly code = 'LAMBDA_FUNCTION_ERROR';
  constructor(
    readonly functionName: string,
    readonly errorType: string,
    readonly errorMessage: string,
    cause: unknown,
  ) {
    super(`${functionName} failed: ${errorType}: ${errorMessage}`, { cause });
  }
}

const jsonCopy = <T>(value: T): T =>
  value === undefined ? (null as T) : (JSON.parse(JSON.stringify(value)) as T);

export async function invokeFunction<R = unknown>(
  fn: LocalFunction,
  event: unknown,
  opts: { region: string },
): Promise<R> {
  const context = createLambdaContext({
    functionName: fn.name,
    timeoutMs: fn.timeoutMs,
    region: opts.region,
    ...(fn.memoryMb ? { memoryMb: fn.memoryMb } : {}),
  });
  let timer: NodeJS.Timeout | undefined;
  const run = new Promise<unknown>((resolve, reject) => {
    const callback: Callback = (err, result) => (err ? reject(err) : resolve(result));
    try {
      const out = fn.handler(jsonCopy(event), context, callback);
      if (out && typeof (out as Promise<unknown>).then === 'function') {
        (out as Promise<unknown>).then(resolve, reject);
      } else if (fn.handler.length < 3) {
        resolve(out);
      }
    } catch (err) {
      reject(err);
    }
  });
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LambdaTimeoutError(fn.name, fn.timeoutMs)), fn.timeoutMs);
  });
  try {
    return jsonCopy((await Promise.race([run, timeout])) as R);
  } catch (err) {
    if (err instanceof LambdaTimeoutError) throw err;
    const e = err instanceof Error ? err : new Error(String(err));
    throw new LambdaInvocationError(fn.name, e.name, e.message, err);
  } finally {
    clearTimeout(timer);
  }
}
