/**
 * The error middleware of every API function: turns any thrown error into the one error body, with the
 * status from `error-status.ts`. DomainError -> its code's status; ZodError -> 400 with issue paths;
 * middy HTTP errors (the JSON body parser) -> 400 INVALID_JSON or 415; anything else -> 500 with a
 * generic message. 4xx are logged at warn, 5xx at error; a 5xx body never carries internal details.
 */
import type middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { $ZodError } from 'zod/v4/core';
import { DomainError, RateLimitedError } from '../domain/errors.js';
import { statusForCode } from './error-status.js';
import { zodIssues } from './issues.js';
import { errorResult } from './responses.js';

export interface ErrorLogger {
  warn(message: string, ...extra: unknown[]): void;
  error(message: string, ...extra: unknown[]): void;
}

interface Mapped {
  status: number;
  code: string;
  message: string;
  details?: unknown;
}

const INTERNAL: Mapped = {
  status: 500,
  code: 'INTERNAL_ERROR',
  message: 'Something went wrong on our side. Try again later.',
};

/** Codes middy's HTTP errors get, by status. */
const HTTP_CODES: Record<number, string> = {
  400: 'INVALID_REQUEST',
  401: 'UNAUTHORIZED',
  404: 'ROUTE_NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

function fromMiddy(err: { statusCode: number; message: string; cause?: unknown }): Mapped {
  const cause = err.cause as { package?: string } | undefined;
  if (cause?.package === '@middy/http-json-body-parser' && /malformed/i.test(err.message)) {
    return { status: 400, code: 'INVALID_JSON', message: 'The request body is not valid JSON.' };
  }
  if (err.statusCode === 415) {
    return {
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: 'Send the body as JSON with the header Content-Type: application/json.',
    };
  }
  const code = HTTP_CODES[err.statusCode];
  if (err.statusCode >= 500 || !code) return INTERNAL;
  return { status: err.statusCode, code, message: err.message };
}

function mapError(err: unknown): Mapped {
  if (err instanceof DomainError) {
    const status = statusForCode(err.code);
    if (status >= 500 && status !== 503) return INTERNAL;
    const mapped: Mapped = { status, code: err.code, message: err.message };
    if (status < 500 && err.details !== undefined) mapped.details = err.details;
    return mapped;
  }
  // A parse error of zod or zod/mini.
  if (err instanceof $ZodError) {
    return {
      status: 400,
      code: 'INVALID_REQUEST',
      message: 'The request is not valid.',
      details: { issues: zodIssues(err) },
    };
  }
  const e = err as { statusCode?: unknown; message?: unknown };
  if (typeof e?.statusCode === 'number' && typeof e.message === 'string') {
    return fromMiddy(e as { statusCode: number; message: string });
  }
  return INTERNAL;
}

export function httpErrorMapper(opts: {
  logger: ErrorLogger;
}): middy.MiddlewareObj<APIGatewayProxyEventV2> {
  return {
    onError: async (request) => {
      const mapped = mapError(request.error);
      if (mapped.status >= 500) {
        opts.logger.error('request failed', { code: mapped.code, error: request.error });
      } else {
        opts.logger.warn('request rejected', { code: mapped.code, status: mapped.status });
      }
      const err = request.error;
      const headers: Record<string, string> =
        err instanceof RateLimitedError ? { 'retry-after': String(err.retryAfterSeconds) } : {};
      request.response = errorResult(
        mapped.status,
        mapped.code,
        mapped.message,
        mapped.details,
        headers,
      );
    },
  };
}
