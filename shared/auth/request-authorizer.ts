/**
 * What API Gateway puts in `event.requestContext.authorizer` for an authenticated request, computed
 * from the request headers: `{ lambda: { owner, keyId } }` in API key mode (our Lambda authorizer's
 * context) or `{ jwt: { claims, scopes } }` in JWT mode (the HTTP API JWT authorizer). The local
 * runtime uses this to emulate the gateway; in AWS the gateway does it.
 */
import type { ApiKeyStore } from '../ports/key-store.js';
import { authenticateApiKey } from './api-keys.js';
import { bearerToken, type JwtVerifier } from './jwt-verifier.js';

export type AuthorizerContext =
  | { lambda: { owner: string; keyId: string } }
  | { jwt: { claims: Record<string, unknown>; scopes: string[] } };

export type RequestAuthorizer = (
  headers: Record<string, string | undefined>,
) => Promise<AuthorizerContext | undefined>;

export const API_KEY_HEADER = 'x-api-key';

const header = (headers: Record<string, string | undefined>, name: string) => {
  const key = Object.keys(headers).find((h) => h.toLowerCase() === name);
  return key ? headers[key] : undefined;
};

export function createRequestAuthorizer(
  mode: { kind: 'apiKey'; keys: ApiKeyStore } | { kind: 'jwt'; verifier: JwtVerifier },
): RequestAuthorizer {
  if (mode.kind === 'apiKey') {
    return async (headers) => {
      const found = await authenticateApiKey(mode.keys, header(headers, API_KEY_HEADER));
      return found ? { lambda: found } : undefined;
    };
  }
  return async (headers) => {
    try {
      const claims = await mode.verifier.verify(bearerToken(headers));
      return { jwt: { claims, scopes: [] } };
    } catch {
      return undefined;
    }
  };
}
