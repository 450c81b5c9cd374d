/** API Gateway HTTP API (payload 2.0) events and a Lambda context for handler tests. */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createLambdaContext } from '../../infra/local/runtime/lambda-context.js';

export interface ApiEventInput {
  method?: string;
  path?: string;
  /** An object is sent as JSON; a string as is. */
  body?: unknown;
  headers?: Record<string, string>;
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
  /** API key mode owner (authorizer.lambda.owner); null for no authorizer context. */
  owner?: string | null;
  /** JWT mode subject (authorizer.jwt.claims.sub) instead of `owner`. */
  jwtSub?: string;
  isBase64Encoded?: boolean;
}

export function apiEvent(input: ApiEventInput = {}): APIGatewayProxyEventV2 {
  const method = input.method ?? 'GET';
  const path = input.path ?? '/v1/tasks';
  const body =
    input.body === undefined
      ? undefined
      : typeof input.body === 'string'
        ? input.body
        : JSON.stringify(input.body);
  const headers: Record<string, string> = {
    ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    ...input.headers,
  };
  const authorizer =
    input.jwtSub !== undefined
      ? { jwt: { claims: { sub: input.jwtSub }, scopes: null } }
      : input.owner === null
        ? undefined
        : { lambda: { owner: input.owner ?? 'alice' } };
  const event = {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: new URLSearchParams(input.query ?? {}).toString(),
    headers,
    requestContext: {
      accountId: '000000000000',
      apiId: 'test',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
      requestId: 'req-1',
      routeKey: `${method} ${path}`,
      stage: '$default',
      time: '01/Jan/2026:00:00:00 +0000',
      timeEpoch: 1767225600000,
      ...(authorizer ? { authorizer } : {}),
    },
    isBase64Encoded: input.isBase64Encoded ?? false,
    ...(body !== undefined ? { body } : {}),
    ...(input.pathParameters ? { pathParameters: input.pathParameters } : {}),
    ...(input.query ? { queryStringParameters: input.query } : {}),
  };
  return event as APIGatewayProxyEventV2;
}

export const lambdaContext = () =>
  createLambdaContext({ functionName: 'test', timeoutMs: 30_000, region: 'us-east-1' });

/** The parsed JSON body of a handler result (loosely typed: tests assert on its fields). */
// biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary fields
export const bodyOf = (res: { body?: string }): Record<string, any> =>
  JSON.parse(res.body ?? 'null');
