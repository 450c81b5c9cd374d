import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY_AUTHORIZER, API_ROUTES } from '../../../functions/manifests.js';
import { jwtAuthorizer, lambdaAuthorizer } from '../../../infra/local/api/authorizers.js';
import { type ApiServer, startApiServer } from '../../../infra/local/api-server.js';
import type { LocalFunction } from '../../../infra/local/runtime/invoke.js';
import { createJwtVerifier } from '../../../shared/auth/jwt-verifier.js';

const api = { apiId: 'local', stage: '$default', region: 'us-east-1' };
const fn = (name: string, handler: LocalFunction['handler'], timeoutMs = 2000): LocalFunction => ({
  name,
  handler,
  timeoutMs,
});

/** A route function that answers with the event it got, so tests can see exactly what arrived. */
const echo = fn('status', async (event: APIGatewayProxyEventV2) => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(event),
}));

describe('local API server, API-key mode', () => {
  let server: ApiServer;
  let authorizerCalls = 0;
  beforeAll(async () => {
    const authorizer = fn(
      'authorizer',
      async (event: { identitySource: string[]; type: string }) => {
        authorizerCalls++;
        if (event.type !== 'REQUEST') throw new Error('not a REQUEST event');
        if (event.identitySource[0] === 'boom') throw new Error('authorizer crashed');
        return event.identitySource[0] === 'good-key'
          ? { isAuthorized: true, context: { owner: 'alice' } }
          : { isAuthorized: false };
      },
    );
    const functions = new Map<string, LocalFunction>([
      ['status', echo],
      [
        'submit',
        fn('submit', async () => ({ statusCode: 202, body: '{"taskId":"t"}', cookies: ['s=1'] })),
      ],
      ['list', fn('list', async () => ({ items: [] }))],
      [
        'cancel',
        fn('cancel', async () => {
          throw new Error('handler bug');
        }),
      ],
      ['templates', fn('templates', () => new Promise(() => {}), 50)],
    ]);
    server = await startApiServer({
      port: 0,
      routes: API_ROUTES,
      functions,
      api,
      authorizer: lambdaAuthorizer({
        fn: authorizer,
        identitySource: API_KEY_AUTHORIZER.identitySource,
        cacheTtlSeconds: 0,
        api,
      }),
    });
  });
  afterAll(() => server.close());

  const call = (path: string, init: RequestInit = {}, key = 'good-key') =>
    fetch(`${server.url}${path}`, { ...init, headers: { 'x-api-key': key, ...init.headers } });

  it('passes the authorizer context and path parameters to the route function', async () => {
    const res = await call('/v1/tasks/abc?x=1', { headers: { cookie: 'k=v' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('apigw-requestid')).toBeTruthy();
    const event = (await res.json()) as APIGatewayProxyEventV2 & {
      requestContext: { authorizer: { lambda: { owner: string } } };
    };
    expect(event.routeKey).toBe('GET /v1/tasks/{taskId}');
    expect(event.pathParameters).toEqual({ taskId: 'abc' });
    expect(event.queryStringParameters).toEqual({ x: '1' });
    expect(event.cookies).toEqual(['k=v']);
    expect(event.requestContext.authorizer.lambda).toEqual({ owner: 'alice' });
    expect(event.requestContext.http.sourceIp).toBe('127.0.0.1');
  });

  it('is 401 without the identity source and does not call the authorizer', async () => {
    const before = authorizerCalls;
    const res = await fetch(`${server.url}/v1/tasks/abc`);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ message: 'Unauthorized' });
    expect(authorizerCalls).toBe(before);
  });

  it('is 403 when the authorizer says no, and 500 when it fails', async () => {
    const denied = await call('/v1/tasks/abc', {}, 'bad-key');
    expect(denied.status).toBe(403);
    expect(await denied.json()).toEqual({ message: 'Forbidden' });
    const crashed = await call('/v1/tasks/abc', {}, 'boom');
    expect(crashed.status).toBe(500);
    expect(await crashed.json()).toEqual({ message: 'Internal Server Error' });
  });

  it('is 404 for unknown routes and methods', async () => {
    for (const [method, path] of [
      ['GET', '/v1/nothing'],
      ['DELETE', '/v1/tasks/abc'],
      ['GET', '/'],
    ] as const) {
      const res = await call(path, { method });
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ message: 'Not Found' });
    }
  });

  it('writes v2 results back: status, body, cookies; plain objects as 200 JSON', async () => {
    const sub = await call('/v1/tasks', { method: 'POST', body: '{}' });
    expect(sub.status).toBe(202);
    expect(await sub.text()).toBe('{"taskId":"t"}');
    expect(sub.headers.getSetCookie()).toEqual(['s=1']);
    const list = await call('/v1/tasks');
    expect(list.status).toBe(200);
    expect(list.headers.get('content-type')).toBe('application/json');
    expect(await list.json()).toEqual({ items: [] });
  });

  it('answers 500 for a failing or timed-out function, 500 for a missing one', async () => {
    expect((await call('/v1/tasks/x/cancel', { method: 'POST' })).status).toBe(500);
    const slow = await call('/v1/templates');
    expect(slow.status).toBe(500);
    expect(await slow.json()).toEqual({ message: 'Internal Server Error' });
    expect((await call('/v1/uploads', { method: 'POST' })).status).toBe(500);
  });

  it('answers CORS preflights itself and marks responses to allowed origins', async () => {
    const cors = await startApiServer({
      port: 0,
      routes: API_ROUTES,
      functions: new Map([['status', echo]]),
      api,
      cors: {
        allowOrigins: ['https://app.example.com'],
        allowMethods: ['GET', 'POST'],
        allowHeaders: ['x-api-key'],
        maxAgeSeconds: 60,
      },
    });
    try {
      const pre = await fetch(`${cors.url}/v1/tasks`, {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
      });
      expect(pre.status).toBe(204);
      expect(pre.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      expect(pre.headers.get('access-control-allow-headers')).toBe('x-api-key');
      const other = await fetch(`${cors.url}/v1/tasks`, {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
      });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      // No authorizer configured: the route answers 500, still with the CORS header.
      const res = await fetch(`${cors.url}/v1/tasks/x`, {
        headers: { origin: 'https://app.example.com' },
      });
      expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    } finally {
      await cors.close();
    }
  });

  it('answers 503 when the integration outlasts the gateway', async () => {
    const t = await startApiServer({
      port: 0,
      routes: API_ROUTES,
      functions: new Map([['templates', fn('templates', () => new Promise(() => {}), 10_000)]]),
      authorizer: { authorize: async () => ({ allowed: true, authorizer: {} }) },
      integrationTimeoutMs: 50,
    });
    try {
      const res = await fetch(`${t.url}/v1/templates`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ message: 'Service Unavailable' });
    } finally {
      await t.close();
    }
  });

  it('throttles like the stage: 429 once the burst is spent', async () => {
    const t = await startApiServer({
      port: 0,
      routes: API_ROUTES,
      functions: new Map(),
      throttle: { rateLimit: 0.001, burstLimit: 1 },
    });
    try {
      expect((await fetch(`${t.url}/nope`)).status).toBe(404);
      const second = await fetch(`${t.url}/nope`);
      expect(second.status).toBe(429);
      expect(await second.json()).toEqual({ message: 'Too Many Requests' });
    } finally {
      await t.close();
    }
  });

  it('refuses to start on a port already in use, saying which', async () => {
    await expect(
      startApiServer({ port: server.port, routes: API_ROUTES, functions: new Map() }),
    ).rejects.toThrow(`Port ${server.port} on 127.0.0.1 is already in use`);
  });
});

describe('local API server, JWT mode', () => {
  let server: ApiServer;
  let jwksServer: Server;
  let sign: (
    claims: Record<string, unknown>,
    opts?: { exp?: string; iss?: string },
  ) => Promise<string>;
  const issuer = 'https://issuer.example';

  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    jwksServer = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r));
    const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`;
    sign = (claims, opts = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setIssuer(opts.iss ?? issuer)
        .setIssuedAt()
        .setExpirationTime(opts.exp ?? '5m')
        .sign(privateKey);
    server = await startApiServer({
      port: 0,
      routes: API_ROUTES,
      functions: new Map([['status', echo]]),
      api,
      authorizer: jwtAuthorizer({
        verifier: createJwtVerifier({ issuer, audience: 'my-app', jwksUrl }),
      }),
    });
  });
  afterAll(async () => {
    await server.close();
    await new Promise((r) => jwksServer.close(r));
  });

  const get = (token?: string) =>
    fetch(
      `${server.url}/v1/tasks/abc`,
      token ? { headers: { authorization: `Bearer ${token}` } } : {},
    );

  it('passes verified claims, as strings, to the route function', async () => {
    const token = await sign({ sub: 'user|42', aud: 'my-app', groups: ['a', 'b'], scope: 'x y' });
    const res = await get(token);
    expect(res.status).toBe(200);
    const event = (await res.json()) as {
      requestContext: { authorizer: { jwt: { claims: Record<string, string>; scopes: string[] } } };
    };
    expect(event.requestContext.authorizer.jwt.claims).toMatchObject({
      sub: 'user|42',
      aud: 'my-app',
      iss: issuer,
      groups: '[a b]',
      exp: expect.stringMatching(/^\d+$/),
    });
    expect(event.requestContext.authorizer.jwt.scopes).toEqual(['x', 'y']);
  });

  it('is 401 for a missing, expired, foreign or wrong-audience token', async () => {
    expect((await get()).status).toBe(401);
    expect((await get(await sign({ sub: 's', aud: 'my-app' }, { exp: '-1m' }))).status).toBe(401);
    expect(
      (await get(await sign({ sub: 's', aud: 'my-app' }, { iss: 'https://evil' }))).status,
    ).toBe(401);
    const wrongAud = await get(await sign({ sub: 's', aud: 'other' }));
    expect(wrongAud.status).toBe(401);
    expect(await wrongAud.json()).toEqual({ message: 'Unauthorized' });
    expect(wrongAud.headers.get('www-authenticate')).toContain('invalid_token');
  });
});
