/**
 * Runs a function's exported `handler` the way the Lambda Node.js runtime does: the event arrives
 * as parsed JSON (a fresh copy), the result leaves as JSON (so `undefined` fields vanish and a
 * missing result is `null`), the handler may return a promise or use the callback, and the call
 * fails with a timeout error when it outlives the function's timeout. Locally the timed-out handler
 * cannot be frozen: it keeps running in the background, but its result is ignored.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
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

/** The invocation a piece of code runs in (follows promises and callbacks the handler starts). */
export interface InvocationScope {
  functionName: string;
  awsRequestId: string;
}
const scope = new AsyncLocalStorage<InvocationScope>();

/**
 * The local function invocation the caller runs inside, if any: lets the benchmark attribute SDK
 * requests to the function that made them (the event source's own receives have none).
 */
export const currentInvocation = (): InvocationScope | undefined => scope.getStore();

/** One finished invocation, as Lambda would bill it (the benchmark's Lambda cost estimate). */
export interface InvocationRecord {
  functionName: string;
  ms: number;
  ok: boolean;
}
const invocationObservers = new Set<(record: InvocationRecord) => void>();

/** Hands every finished invocation in this process to `observer`; returns a function that stops it. */
export function observeInvocations(observer: (record: InvocationRecord) => void): () => void {
  invocationObservers.add(observer);
  return () => {
    invocationObservers.delete(observer);
  };
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
  const started = performance.now();
  let ok = false;
  const run = new Promise<unknown>((resolve, reject) => {
    const callback: Callback = (err, result) => (err ? reject(err) : resolve(result));
    try {
      const out = scope.run({ functionName: fn.name, awsRequestId: context.awsRequestId }, () =>
        fn.handler(jsonCopy(event), context, callback),
      );
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
    const result = jsonCopy((await Promise.race([run, timeout])) as R);
    ok = true;
    return result;
  } catch (err) {
    if (err instanceof LambdaTimeoutError) throw err;
    const e = err instanceof Error ? err : new Error(String(err));
    throw new LambdaInvocationError(fn.name, e.name, e.message, err);
  } finally {
    clearTimeout(timer);
    const record = { functionName: fn.name, ms: performance.now() - started, ok };
    for (const observe of invocationObservers) observe(record);
  }
}
