/**
 * The middy pipeline every API function shares: logger context, body size and depth limits, JSON body parsing
 * (routes with a body), owner resolution, and the error mapper. A route function receives the event
 * and the caller's owner, and returns a response made with `json()`.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { RateLimitedError } from '../domain/errors.js';
import type { OwnerRateLimiter } from '../ports/owner-rate-limiter.js';
import { bodyDepthLimit } from './body-depth.js';
import { bodyLimit, MAX_BODY_BYTES } from './body-limit.js';
import { httpErrorMapper } from './error-mapper.js';
import { resolveOwner } from './owner.js';
import type { ApiResult } from './responses.js';

/**
 * What every API handler shares beyond its own dependencies: logging, metrics and the per-owner rate
 * limit (tests pass a silent logger, no metrics, no limit).
 */
export interface ApiObservability {
  logger: Logger;
  /** When given, metrics are flushed after each request. */
  metrics?: Metrics;
  /** When given, each request of an owner takes a token (429 RATE_LIMITED when none is left). */
  rateLimit?: OwnerRateLimiter;
}

export interface ApiRequest {
  event: APIGatewayProxyEventV2;
  /** The caller, from the authorizer context. */
  owner: string;
  /** The parsed JSON body (routes with `jsonBody`), else undefined. */
  body: unknown;
}

export type ApiHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<ApiResult>;

export function apiHandler(
  obs: ApiObservability,
  opts: { jsonBody?: boolean; maxBodyBytes?: number },
  route: (req: ApiRequest) => Promise<ApiResult>,
): ApiHandler {
  const m = middy<APIGatewayProxyEventV2, ApiResult>({ timeoutEarlyInMillis: 0 }).use(
    // Never log the event: its headers hold API keys and bearer tokens, whatever
    // POWERTOOLS_LOGGER_LOG_EVENT says (this option takes precedence over it).
    injectLambdaContext(obs.logger, { resetKeys: true, logEvent: false }),
  );
  const { metrics } = obs;
  if (metrics) {
    // Flush only when the route added a metric (Powertools warns on every empty flush otherwise).
    const flush = async () => {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    };
    m.use({ after: flush, onError: flush });
  }
  // Identity first: an anonymous request is 401 whatever its body. Then the owner's rate limit,
  // before any other work.
  const { rateLimit } = obs;
  m.use({
    before: async (request) => {
      const owner = resolveOwner(request.event);
      if (!rateLimit) return;
      const verdict = await rateLimit.take(owner);
      if (!verdict.allowed) {
        throw new RateLimitedError(Math.max(1, Math.ceil(verdict.retryAfterMs / 1000)));
      }
    },
  });
  m.use(bodyLimit(opts.maxBodyBytes ?? MAX_BODY_BYTES));
  if (opts.jsonBody) m.use(bodyDepthLimit()).use(httpJsonBodyParser());
  // Registered last, so its onError runs first.
  m.use(httpErrorMapper({ logger: obs.logger }));
  const handler = m.handler(async (event) => {
    const owner = resolveOwner(event);
    return route({ event, owner, body: opts.jsonBody ? (event.body as unknown) : undefined });
  });
  return handler as unknown as ApiHandler;
}
