/**
 * Translation of AWS SDK failures into domain errors, shared by the DynamoDB, SQS and S3 adapters.
 * Throttling, 5xx, timeouts and network failures become DependencyUnavailableError (retryable; the
 * SDK has already retried them with backoff). Anything else (a validation error, missing resource,
 * bad credentials) is a bug or a misconfiguration and passes through unchanged, so it surfaces as a
 * 500 with its cause in the log.
 */
import { DependencyUnavailableError, DomainError } from '../../domain/errors.js';

const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'InternalServerError',
  'InternalFailure',
  'InternalError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
]);

interface SdkErrorShape {
  name?: string;
  code?: string;
  $fault?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/** The SDK error's name (e.g. `ConditionalCheckFailedException`), or undefined. */
export const awsErrorName = (err: unknown): string | undefined =>
  typeof err === 'object' && err !== null ? (err as SdkErrorShape).name : undefined;

export const awsHttpStatus = (err: unknown): number | undefined =>
  typeof err === 'object' && err !== null
    ? (err as SdkErrorShape).$metadata?.httpStatusCode
    : undefined;

/** True for failures that may pass if tried again later. */
export function isTransientAwsError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as SdkErrorShape;
  if (e.name && TRANSIENT_NAMES.has(e.name)) return true;
  if (e.code && NETWORK_CODES.has(e.code)) return true;
  if (e.$retryable) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && (status >= 500 || status === 429)) return true;
  if (e.$fault === 'server') return true;
  // Node's socket errors can arrive wrapped: look one level down.
  const cause = (err as { cause?: unknown }).cause;
  return cause !== undefined && cause !== err && isTransientAwsError(cause);
}

/**
 * The error an adapter should throw for `err`: domain errors pass as they are, transient failures
 * become DependencyUnavailableError naming `what` failed, the rest pass unchanged.
 */
export function translateAwsError(err: unknown, what: string): unknown {
  if (err instanceof DomainError) return err;
  if (isTransientAwsError(err))
    return new DependencyUnavailableError(`${what} failed for now; try again later.`, {
      cause: err,
    });
  return err;
}
