/**
 * Random and malformed requests at every route the function manifests serve, through the local API server with
 * the real authorizer and the real functions on the emulators (fast-check, seeded, a few hundred
 * requests). Whatever arrives: never a 5xx; a function's answer is always the JSON error shape
 * `{"error":{"code","message"}}` (API Gateway's own 401/403/404/413 are `{"message"}` and happen only
 * before a function runs); and a refused request writes nothing (no DynamoDB, SQS or S3 write).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES, type BoundRoute as RouteSpec } from '../../../functions/manifests.js';
import { tinyWorkflow } from '../../fakes/tasks.js';
import { rawRequest } from './support/raw-http.js';
import { errorShapeProblem, type SecureApi, startSecureApi } from './support/secure-api.js';

const SEED = 424_242;
const RUNS_PER_ROUTE = 45;

/** API Gateway's own error bodies: only these statuses may carry them. */
const GATEWAY_BODIES: Record<number, string> = {
  401: '{"message":"Unauthorized"}',
  403: '{"message":"Forbidden"}',
  404: '{"message":"Not Found"}',
  413: '{"message":"Request Entity Too Large"}',
};

/** Header text: printable ASCII and Latin-1 (node refuses control characters and DEL before sending). */
const headerText = fc.string({
  unit: fc
    .oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }))
    .map((c) => String.fromCharCode(c)),
  maxLength: 200,
});

const nastyIds = fc.oneof(
  fc.uuid(),
  fc.uuid().map((u) => u.toUpperCase()),
  fc.constantFrom(
    '..',
    '%2e%2e',
    '%2F..%2F',
    '%00',
    '%',
    '%ZZ',
    '%E0%A4%A',
    '00000000-0000-0000-0000-000000000000',
    'TASK%23x',
    '__proto__',
    'constructor',
    'x'.repeat(3000),
    '%F0%9F%98%80',
    "'%20OR%201=1",
    '$%7Bjndi:ldap%7D',
  ),
  fc.string({ maxLength: 60 }).map(encodeURIComponent),
);

const rawQuery = fc.oneof(
  fc.constant(''),
  fc
    .dictionary(fc.string({ maxLength: 12 }), fc.string({ maxLength: 40 }), { maxKeys: 4 })
    .map((d) => `?${new URLSearchParams(d).toString()}`),
  fc.constantFrom(
    '?limit=0',
    '?limit=-1',
    '?limit=1e999',
    '?limit=0x10',
    '?limit=NaN',
    '?limit=101',
    '?limit=20&limit=30',
    '?status=queued&status=running',
    '?status=QUEUED',
    '?status=__proto__',
    '?cursor=',
    '?cursor=%%%',
    '?cursor=eyJ2IjoxfQ',
    `?cursor=${'A'.repeat(3000)}`,
    '?__proto__[x]=1',
    '?%',
    '?&&&=',
  ),
);

const nastyJson = fc.oneof(
  fc.json({ maxDepth: 4 }),
  fc.anything({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null'),
  fc.constantFrom(
    '',
    '{',
    'null',
    '[]',
    '"x"',
    '{"__proto__":{"owner":"mallory"}}',
    '{"constructor":{"prototype":{"x":1}}}',
    `${'['.repeat(5000)}${']'.repeat(5000)}`,
    `{"workflow":${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}}`,
    '{"workflow":{}}',
    '{"workflow":{"1":{"class_type":"SaveImage","inputs":{"images":["9",0]}}}}',
    '{"template":"../../etc/passwd"}',
    '{"template":"txt2img","params":{"prompt":1}}',
    '{"template":"txt2img","params":{"prompt":"x","seed":-1}}',
    '{"filename":"a.png","contentType":"image/png","size":1e308}',
    '{"filename":"a.png","contentType":"image/png","size":-1}',
    '{"filename":"a.png","contentType":"text/html","size":10}',
    '{"filename":"a.png","contentType":"image/svg+xml","size":10}',
    '{"filename":"a.png","contentType":"image/png","size":99999999999}',
    '\u0000\u0001',
    '\ufeff{}',
  ),
  fc
    .record({
      workflow: fc.dictionary(fc.string({ maxLength: 8 }), fc.anything({ maxDepth: 2 }), {
        maxKeys: 4,
      }),
      metadata: fc.option(fc.anything({ maxDepth: 2 }), { nil: undefined }),
    })
    .map((b) => JSON.stringify(b)),
  fc
    .record({
      workflow: fc.constant(tinyWorkflow()),
      metadata: fc.string({ minLength: 4100, maxLength: 5000 }).map((s) => ({ s })),
    })
    .map((b) => JSON.stringify(b)),
  fc
    .record({
      filename: fc.string({ maxLength: 300 }),
      contentType: fc.oneof(fc.string({ maxLength: 30 }), fc.constant('image/png')),
      size: fc.oneof(fc.integer(), fc.double(), fc.constant(0)),
      extra: fc.option(fc.string(), { nil: undefined }),
    })
    .map((b) => JSON.stringify(b)),
);

const aBody = fc.oneof(
  { weight: 6, arbitrary: nastyJson.map((s) => Buffer.from(s)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a)) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

const contentType = fc.oneof(
  fc.constant('application/json'),
  fc.constantFrom(
    'application/json; charset=utf-16',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/octet-stream',
    'APPLICATION/JSON',
    '',
  ),
  headerText,
);

type KeyChoice = 'alice' | 'mallory' | 'revoked' | 'none' | 'wrong' | 'malformed';
const keyChoice = fc.constantFrom<KeyChoice>(
  'alice',
  'alice',
  'alice',
  'mallory',
  'revoked',
  'none',
  'wrong',
  'malformed',
);

const pathFor = (route: RouteSpec, id: string) => route.path.replace('{taskId}', id);

describe('hostile requests at every route', () => {
  let api: SecureApi;
  beforeAll(async () => {
    api = await startSecureApi();
  });
  afterAll(() => api.close());

  const keyFor = (k: KeyChoice): string | undefined =>
    k === 'none'
      ? undefined
      : k === 'wrong'
        ? `csk_${'Q'.repeat(43)}`
        : k === 'malformed'
          ? 'x'.repeat(10)
          : api.keys[k];

  for (const route of API_ROUTES) {
    it(`${route.method} ${route.path}: no 5xx, the error shape, nothing written when refused`, async () => {
      const seen = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(
          nastyIds,
          rawQuery,
          aBody,
          contentType,
          keyChoice,
          fc.option(headerText, { nil: undefined }),
          fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/), headerText, { maxKeys: 3 }),
          async (id, query, body, ct, key, idemKey, extraHeaders) => {
            // Prepare
            const headers: Record<string, string> = { ...extraHeaders };
            delete headers['content-length'];
            delete headers['transfer-encoding'];
            delete headers.host;
            delete headers.expect;
            delete headers.connection;
            const apiKey = keyFor(key);
            if (apiKey !== undefined) headers['x-api-key'] = apiKey;
            else delete headers['x-api-key'];
            if (body !== undefined) headers['content-type'] = ct;
            if (idemKey !== undefined) headers['idempotency-key'] = idemKey;
            const writesBefore = api.writes();
            // Act
            const res = await rawRequest(
              api.url,
              route.method,
              pathFor(route, id) + query,
              headers,
              body,
            );
            // Assess
            seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
            const context = `${route.method} ${pathFor(route, id).slice(0, 80)}${query.slice(0, 80)} key=${key} -> ${res.status} ${res.text.slice(0, 300)}`;
            expect(res.status, context).toBeLessThan(500);
            if (res.status >= 400) {
              const gateway = GATEWAY_BODIES[res.status];
              if (res.text !== gateway)
                expect(errorShapeProblem(res.text), context).toBeUndefined();
              expect(api.writes() - writesBefore, `wrote on ${context}`).toBe(0);
            } else {
              expect(() => JSON.parse(res.text), context).not.toThrow();
            }
            // A path no route matches is API Gateway's 404 before any authorizer runs.
            const unrouted = res.status === 404 && res.text === GATEWAY_BODIES[404];
            if (key === 'none' && !unrouted) expect(res.status, context).toBe(401);
            if ((key === 'revoked' || key === 'wrong' || key === 'malformed') && !unrouted)
              expect(res.status, context).toBe(403);
          },
        ),
        { seed: SEED, numRuns: RUNS_PER_ROUTE, endOnFailure: true },
      );
      // The run reached the functions, not only the gateway.
      const reached = [...seen]
        .filter(([s]) => s !== 401 && s !== 403)
        .reduce((n, [, c]) => n + c, 0);
      expect(reached).toBeGreaterThan(RUNS_PER_ROUTE / 3);
    });
  }

  it('answers a method or path no route has with 404, and writes nothing', async () => {
    const before = api.writes();
    for (const [method, path] of [
      ['DELETE', '/v1/tasks'],
      ['PUT', '/v1/tasks/x'],
      ['PATCH', '/v1/uploads'],
      ['GET', '/v1/tasks/a/b/c'],
      ['GET', '/v1/../v1/tasks'],
      ['GET', '//v1/tasks'],
      ['POST', '/v1/tasks/'],
      ['GET', '/V1/TASKS'],
    ] as const) {
      const res = await rawRequest(api.url, method, path, { 'x-api-key': api.keys.alice });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    expect(api.writes()).toBe(before);
  });
});
