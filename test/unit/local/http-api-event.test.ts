import { describe, expect, it } from 'vitest';
import {
  buildAuthorizerEvent,
  buildHttpApiEvent,
  isTextContentType,
  type RawHttpRequest,
} from '../../../infra/local/api/http-api-event.js';

const api = { apiId: 'local', stage: '$default', region: 'eu-west-1' };
const req = (over: Partial<RawHttpRequest> = {}): RawHttpRequest => ({
  method: 'post',
  url: '/v1/tasks?limit=5&status=queued&status=running',
  rawHeaders: [
    'Host',
    '127.0.0.1:3000',
    'Content-Type',
    'application/json',
    'X-Api-Key',
    'csk_secret',
    'Cookie',
    'a=1; b=2',
    'X-Multi',
    'one',
    'X-Multi',
    'two',
    'User-Agent',
    'curl/8',
  ],
  body: Buffer.from('{"workflow":{}}'),
  sourceIp: '127.0.0.1',
  port: 3000,
  ...over,
});

describe('buildHttpApiEvent (payload format 2.0)', () => {
  it('builds the v2 shape API Gateway sends', () => {
    const now = Date.UTC(2026, 2, 12, 19, 3, 58);
    const e = buildHttpApiEvent(req(), { routeKey: 'POST /v1/tasks' }, api, now);
    expect(e).toMatchObject({
      version: '2.0',
      routeKey: 'POST /v1/tasks',
      rawPath: '/v1/tasks',
      rawQueryString: 'limit=5&status=queued&status=running',
      cookies: ['a=1', 'b=2'],
      queryStringParameters: { limit: '5', status: 'queued,running' },
      body: '{"workflow":{}}',
      isBase64Encoded: false,
      requestContext: {
        accountId: expect.any(String),
        apiId: 'local',
        domainName: '127.0.0.1:3000',
        http: {
          method: 'POST',
          path: '/v1/tasks',
          protocol: 'HTTP/1.1',
          sourceIp: '127.0.0.1',
          userAgent: 'curl/8',
        },
        routeKey: 'POST /v1/tasks',
        stage: '$default',
        time: '12/Mar/2026:19:03:58 +0000',
        timeEpoch: now,
      },
    });
    expect(e.requestContext.requestId).toMatch(/^[A-Za-z0-9+/]{15}=$/);
    expect(e.headers).toMatchObject({
      host: '127.0.0.1:3000',
      'content-type': 'application/json',
      'x-api-key': 'csk_secret',
      'x-multi': 'one,two',
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-port': '3000',
    });
    expect(e.headers.cookie).toBeUndefined();
    expect(e.headers['x-amzn-trace-id']).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    expect(e.pathParameters).toBeUndefined();
  });

  it('leaves out body, cookies and query parameters when the request has none', () => {
    const e = buildHttpApiEvent(
      req({ method: 'GET', url: '/v1/tasks/x', rawHeaders: ['Host', 'h'], body: Buffer.alloc(0) }),
      { routeKey: 'GET /v1/tasks/{taskId}', pathParameters: { taskId: 'x' } },
      api,
    );
    expect('body' in e).toBe(false);
    expect('cookies' in e).toBe(false);
    expect('queryStringParameters' in e).toBe(false);
    expect(e.rawQueryString).toBe('');
    expect(e.isBase64Encoded).toBe(false);
    expect(e.pathParameters).toEqual({ taskId: 'x' });
  });

  it('base64-encodes bodies whose content type is not text, including none and form data', () => {
    for (const ct of [undefined, 'application/x-www-form-urlencoded', 'image/png']) {
      const e = buildHttpApiEvent(
        req({ rawHeaders: ct ? ['Content-Type', ct] : [], body: Buffer.from('a=b') }),
        { routeKey: 'POST /v1/tasks' },
        api,
      );
      expect(e.isBase64Encoded).toBe(true);
      expect(Buffer.from(e.body ?? '', 'base64').toString()).toBe('a=b');
    }
    expect(isTextContentType('application/json; charset=utf-8')).toBe(true);
    expect(isTextContentType('text/plain')).toBe(true);
    expect(isTextContentType('application/vnd.api+json')).toBe(false);
  });
});

describe('buildAuthorizerEvent (REQUEST, payload 2.0)', () => {
  const base = buildHttpApiEvent(req(), { routeKey: 'POST /v1/tasks' }, api);

  it('carries the identity source values and the route ARN, and no body', () => {
    const a = buildAuthorizerEvent(base, ['$request.header.x-api-key'], api);
    expect(a).toMatchObject({
      version: '2.0',
      type: 'REQUEST',
      routeArn: expect.stringMatching(
        /^arn:aws:execute-api:eu-west-1:\d{12}:local\/\$default\/POST\/v1\/tasks$/,
      ),
      identitySource: ['csk_secret'],
      routeKey: 'POST /v1/tasks',
      headers: { 'x-api-key': 'csk_secret' },
    });
    expect('body' in (a ?? {})).toBe(false);
  });

  it('is undefined when an identity source is missing or empty', () => {
    expect(buildAuthorizerEvent(base, ['$request.header.authorization'], api)).toBeUndefined();
    const empty = { ...base, headers: { ...base.headers, 'x-api-key': '' } };
    expect(buildAuthorizerEvent(empty, ['$request.header.x-api-key'], api)).toBeUndefined();
    expect(buildAuthorizerEvent(base, ['$request.querystring.limit'], api)?.identitySource).toEqual(
      ['5'],
    );
  });
});
