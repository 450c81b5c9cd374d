/**
 * API Gateway's CORS for an HTTP API, as the stack configures it when origins are given
 * (shared/http/routes.ts `API_CORS`): preflight `OPTIONS` requests are answered by the gateway itself
 * (204, no authorizer, no function), and responses to allowed origins carry
 * `access-control-allow-origin`. Without origins nothing is added, as deployed by default.
 */
import type { HttpResponse } from './http-api-result.js';

export interface CorsConfig {
  allowOrigins: readonly string[];
  allowMethods: readonly string[];
  allowHeaders: readonly string[];
  maxAgeSeconds: number;
}

const allowedOrigin = (cors: CorsConfig, origin: string | undefined) =>
  origin && (cors.allowOrigins.includes('*') || cors.allowOrigins.includes(origin))
    ? cors.allowOrigins.includes('*')
      ? '*'
      : origin
    : undefined;

/** The gateway's answer to a preflight request, or undefined when this is not one. */
export function preflight(
  cors: CorsConfig | undefined,
  method: string,
  headers: Record<string, string | string[] | undefined>,
): HttpResponse | undefined {
  if (!cors || method !== 'OPTIONS' || !headers['access-control-request-method']) return undefined;
  const origin = allowedOrigin(cors, headers.origin as string | undefined);
  return {
    statusCode: 204,
    headers: origin
      ? {
          'access-control-allow-origin': origin,
          'access-control-allow-methods': cors.allowMethods.join(','),
          'access-control-allow-headers': cors.allowHeaders.join(','),
          'access-control-max-age': String(cors.maxAgeSeconds),
        }
      : {},
    body: Buffer.alloc(0),
  };
}

/** Adds the CORS response headers for an allowed origin. */
export function withCors(
  cors: CorsConfig | undefined,
  origin: string | undefined,
  res: HttpResponse,
): HttpResponse {
  const allowed = cors && allowedOrigin(cors, origin);
  if (!allowed) return res;
  return {
    ...res,
    headers: { ...res.headers, 'access-control-allow-origin': allowed, vary: 'origin' },
  };
}
