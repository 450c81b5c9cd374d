/**
 * The caller's identity, from the authorizer's result in the event: `authorizer.lambda.owner` (API
 * keys, our Lambda authorizer) or `authorizer.jwt.claims.sub` (JWT mode). No identity is 401.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { UnauthorizedError } from '../domain/errors.js';

interface AuthorizerContext {
  lambda?: { owner?: unknown };
  jwt?: { claims?: { sub?: unknown } };
}

export function resolveOwner(event: APIGatewayProxyEventV2): string {
  const auth = (event.requestContext as { authorizer?: AuthorizerContext } | undefined)?.authorizer;
  const owner = auth?.lambda?.owner ?? auth?.jwt?.claims?.sub;
  if (typeof owner !== 'string' || owner.length === 0 || owner.length > 256) {
    throw new UnauthorizedError();
  }
  return owner;
}
