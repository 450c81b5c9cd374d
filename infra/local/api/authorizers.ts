/**
 * The two ways API Gateway authorises a route here, emulated faithfully:
 * - a Lambda REQUEST authorizer (payload 2.0, simple responses): a missing identity source is 401
 *   without calling the function, `isAuthorized: false` is 403, a failing or malformed authorizer
 *   is 500, and the returned `context` reaches the route as `requestContext.authorizer.lambda`;
 *   results are cached per identity for the configured TTL (0 = no cache);
 * - a JWT authorizer: a bearer token verified by the API's verifier (issuer's JWKS, `iss`, `aud`,
 *   `kid`, `exp`, `nbf`, `iat` with a small clock skew), 401 otherwise, claims passed as `requestContext.authorizer.jwt.claims` (values
 *   as strings, like API Gateway). Unlike API Gateway, a token whose audience is only in
 *   `client_id` (Cognito access tokens) is refused: the verifier checks `aud`.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { JWTPayload } from 'jose';
import type { JwtVerifier } from '../../../shared/auth/jwt-verifier.js';
import { invokeFunction, type LocalFunction } from '../runtime/invoke.js';
import { type ApiContext, buildAuthorizerEvent, identityValue } from './http-api-event.js';
import { GATEWAY_ERRORS, type HttpResponse } from './http-api-result.js';

type Authorization =
  | { allowed: true; authorizer: Record<string, unknown> }
  | { allowed: false; response: HttpResponse; reason: string };

export interface RouteAuthorizer {
  authorize(event: APIGatewayProxyEventV2): Promise<Authorization>;
}

const deny = (response: HttpResponse, reason: string): Authorization => ({
  allowed: false,
  response,
  reason,
});

export function lambdaAuthorizer(opts: {
  fn: LocalFunction;
  identitySource: readonly string[];
  cacheTtlSeconds: number;
  api: ApiContext;
  onError?: (err: unknown) => void;
}): RouteAuthorizer {
  const cache = new Map<string, { result: Authorization; expiresAt: number }>();
  return {
    async authorize(event) {
      const authEvent = buildAuthorizerEvent(event, opts.identitySource, opts.api);
      if (!authEvent) return deny(GATEWAY_ERRORS.unauthorized(), 'identity source missing');
      const cacheKey = JSON.stringify(authEvent.identitySource);
      const hit = cache.get(cacheKey);
      if (hit && hit.expiresAt > Date.now()) return hit.result;
      let out: unknown;
      try {
        out = await invokeFunction(opts.fn, authEvent, { region: opts.api.region });
      } catch (err) {
        opts.onError?.(err);
        return deny(GATEWAY_ERRORS.internal(), 'authorizer failed');
      }
      const res = out as { isAuthorized?: unknown; context?: unknown } | null;
      if (typeof res?.isAuthorized !== 'boolean') {
        opts.onError?.(new Error('authorizer returned no boolean isAuthorized'));
        return deny(GATEWAY_ERRORS.internal(), 'malformed authorizer response');
      }
      const result: Authorization = res.isAuthorized
        ? {
            allowed: true,
            authorizer: { lambda: (res.context as Record<string, unknown> | undefined) ?? {} },
          }
        : deny(GATEWAY_ERRORS.forbidden(), 'authorizer denied');
      if (opts.cacheTtlSeconds > 0) {
        cache.set(cacheKey, { result, expiresAt: Date.now() + opts.cacheTtlSeconds * 1000 });
      }
      return result;
    },
  };
}

/** API Gateway passes JWT claims as strings; arrays become `[a b c]`. */
function stringifyClaims(payload: JWTPayload): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(payload)) {
    out[k] = Array.isArray(v)
      ? `[${v.join(' ')}]`
      : typeof v === 'object' && v !== null
        ? JSON.stringify(v)
        : String(v);
  }
  return out;
}

const jwtDenied = (description: string): HttpResponse => {
  const res = GATEWAY_ERRORS.unauthorized();
  res.headers['www-authenticate'] =
    `Bearer scope="" error="invalid_token" error_description="${description}"`;
  return res;
};

export function jwtAuthorizer(opts: {
  /** The API's jose-based verifier (shared/auth/jwt-verifier.ts): signature, issuer, audience, expiry. */
  verifier: JwtVerifier;
  identitySource?: string;
}): RouteAuthorizer {
  const source = opts.identitySource ?? '$request.header.authorization';
  return {
    async authorize(event) {
      const raw = identityValue(event, source);
      if (!raw) return deny(GATEWAY_ERRORS.unauthorized(), 'identity source missing');
      let payload: JWTPayload;
      try {
        payload = await opts.verifier.verify(raw.replace(/^Bearer\s+/i, ''));
      } catch {
        return deny(jwtDenied('the token is not valid'), 'invalid token');
      }
      const scope = typeof payload.scope === 'string' ? payload.scope.split(' ') : undefined;
      return {
        allowed: true,
        authorizer: { jwt: { claims: stringifyClaims(payload), scopes: scope ?? null } },
      };
    },
  };
}
