/**
 * The caller's identity, from the authorizer's result in the event: `authorizer.lambda.owner` (API
 * keys, our Lambda authorizer) or `authorizer.jwt.claims.sub` (JWT mode). No identity is 401.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from 'zod/mini';
import { UnauthorizedError } from '../domain/errors.js';
import type { OwnerLimits } from '../ports/key-store.js';

interface AuthorizerContext {
  lambda?: { owner?: unknown; limits?: unknown };
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

const whole = () => z.number().check(z.int(), z.positive());
const LimitsSchema = z.partial(
  z.object({
    nodes: whole(),
    pixels: whole(),
    batch: whole(),
    steps: whole(),
    frames: whole(),
    upscale: z.number().check(z.positive()),
  }),
);

/**
 * The caller's own resource limits, from the API key authorizer's context (`limits`, JSON), or
 * undefined (JWT callers and owners without limits get the deployment's). Unreadable limits are
 * ignored: the deployment's apply.
 */
export function resolveOwnerLimits(event: APIGatewayProxyEventV2): OwnerLimits | undefined {
  const auth = (event.requestContext as { authorizer?: AuthorizerContext } | undefined)?.authorizer;
  const raw = auth?.lambda?.limits;
  if (typeof raw !== 'string') return undefined;
  try {
    const parsed = LimitsSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
