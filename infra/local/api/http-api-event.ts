/**
 * Builds API Gateway HTTP API (payload format 2.0) events from a raw HTTP request: the integration
 * event for the route's function and the REQUEST event for a Lambda authorizer. Shapes follow the
 * AWS reference: lower-cased headers with repeats joined by commas, the Cookie header moved to
 * `cookies`, `queryStringParameters` and `body` left out when absent, and the body base64-encoded
 * unless its content type is one API Gateway passes as text.
 */
import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { LOCAL_ACCOUNT_ID } from '../runtime/lambda-context.js';
import type { MatchedRoute } from './route-match.js';

export interface RawHttpRequest {
  method: string;
  /** Path and query exactly as sent (`/v1/tasks?limit=5`). */
  url: string;
  /** Node's rawHeaders: name, value, name, value... */
  rawHeaders: readonly string[];
  body: Buffer;
  sourceIp: string;
  /** The local port the request arrived on (x-forwarded-port). */
  port: number;
}

export interface ApiContext {
  apiId: string;
  stage: string;
  region: string;
}

/** Content types API Gateway hands to Lambda as UTF-8 text (verified against AWS by others). */
export function isTextContentType(contentType: string | undefined): boolean {
  const ct = (contentType ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
  return (
    ct.startsWith('text/') ||
    ct === 'application/json' ||
    ct === 'application/xml' ||
    ct === 'application/javascript'
  );
}

function joinHeaders(raw: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const value = raw[i + 1] as string;
    out[name] = name in out ? `${out[name]},${value}` : value;
  }
  return out;
}

function splitUrl(url: string): { rawPath: string; rawQueryString: string } {
  const noHash = url.split('#', 1)[0] ?? '';
  const q = noHash.indexOf('?');
  return q < 0
    ? { rawPath: noHash, rawQueryString: '' }
    : { rawPath: noHash.slice(0, q), rawQueryString: noHash.slice(q + 1) };
}

function queryParameters(rawQueryString: string): Record<string, string> | undefined {
  if (!rawQueryString) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(rawQueryString)) {
    out[k] = k in out ? `${out[k]},${v}` : v;
  }
  return Object.keys(out).length ? out : undefined;
}

const apiGatewayTime = (d: Date) => {
  const [, day, mon, year, time] = d.toUTCString().split(' ');
  return `${day}/${mon}/${year}:${time} +0000`;
};

const traceId = (now: number) =>
  `Root=1-${Math.floor(now / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;

export function buildHttpApiEvent(
  req: RawHttpRequest,
  match: Pick<MatchedRoute, 'routeKey' | 'pathParameters'>,
  api: ApiContext,
  now = Date.now(),
): APIGatewayProxyEventV2 {
  const { rawPath, rawQueryString } = splitUrl(req.url);
  const headers = joinHeaders(req.rawHeaders);
  const cookieHeader = headers.cookie;
  delete headers.cookie;
  headers['x-forwarded-for'] = headers['x-forwarded-for']
    ? `${headers['x-forwarded-for']}, ${req.sourceIp}`
    : req.sourceIp;
  headers['x-forwarded-port'] = String(req.port);
  headers['x-forwarded-proto'] = 'http';
  headers['x-amzn-trace-id'] = traceId(now);
  const domainName = headers.host ?? `127.0.0.1:${req.port}`;
  const queryStringParameters = queryParameters(rawQueryString);
  const cookies = cookieHeader
    ?.split(';')
    .map((c) => c.trim())
    .filter(Boolean);
  const text = isTextContentType(headers['content-type']);
  return {
    version: '2.0',
    routeKey: match.routeKey,
    rawPath,
    rawQueryString,
    ...(cookies?.length ? { cookies } : {}),
    headers,
    ...(queryStringParameters ? { queryStringParameters } : {}),
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: api.apiId,
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method: req.method.toUpperCase(),
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: req.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomBytes(11).toString('base64'),
      routeKey: match.routeKey,
      stage: api.stage,
      time: apiGatewayTime(new Date(now)),
      timeEpoch: now,
    },
    ...(match.pathParameters ? { pathParameters: match.pathParameters } : {}),
    ...(req.body.length
      ? { body: text ? req.body.toString('utf8') : req.body.toString('base64') }
      : {}),
    isBase64Encoded: req.body.length > 0 && !text,
  };
}

/** Resolves `$request.header.X` / `$request.querystring.X` against an event; undefined if empty. */
export function identityValue(event: APIGatewayProxyEventV2, source: string): string | undefined {
  const header = /^\$request\.header\.(.+)$/i.exec(source);
  if (header) return event.headers[(header[1] as string).toLowerCase()] || undefined;
  const query = /^\$request\.querystring\.(.+)$/i.exec(source);
  if (query) return event.queryStringParameters?.[query[1] as string] || undefined;
  return undefined;
}

/** The REQUEST authorizer event (payload 2.0) for a route, or undefined if an identity is missing. */
export function buildAuthorizerEvent(
  event: APIGatewayProxyEventV2,
  identitySource: readonly string[],
  api: ApiContext,
): APIGatewayRequestAuthorizerEventV2 | undefined {
  const identities = identitySource.map((s) => identityValue(event, s));
  if (identities.some((v) => v === undefined)) return undefined;
  const { method } = event.requestContext.http;
  const routeArn = `arn:aws:execute-api:${api.region}:${LOCAL_ACCOUNT_ID}:${api.apiId}/${api.stage}/${method}${event.rawPath}`;
  const { body: _b, isBase64Encoded: _i, ...rest } = event;
  return {
    ...rest,
    type: 'REQUEST',
    routeArn,
    identitySource: identities as string[],
  } as APIGatewayRequestAuthorizerEventV2;
}
