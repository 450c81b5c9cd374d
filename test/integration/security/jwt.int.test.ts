/**
 * JWT mode: API Gateway's JWT authorizer as the local API server emulates it (a local issuer and
 * JWKS), with the real functions behind it. Expired, foreign-issuer, wrong-audience, unsigned,
 * badly signed and malformed tokens are 401 on every route and write nothing; a valid token without
 * a subject is refused (401, nothing written); another subject's task is answered like an unknown one.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES } from '../../../functions/manifests.js';
import { tinyWorkflow } from '../../fakes/tasks.js';
import {
  errorShapeProblem,
  type JwtIssuer,
  type SecureApi,
  startSecureApi,
} from './support/secure-api.js';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('ownership and tokens in JWT mode', () => {
  let api: SecureApi;
  let jwt: JwtIssuer;
  let aliceTask: string;
  const bearer = (token: string) => ({
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
  });

  beforeAll(async () => {
    api = await startSecureApi({ jwt: true });
    jwt = api.jwt as JwtIssuer;
    const res = await api.call('POST', '/v1/tasks', {
      headers: bearer(await jwt.sign({ sub: 'auth0|alice' })),
      body: JSON.stringify({ workflow: tinyWorkflow() }),
    });
    expect(res.status).toBe(202);
    aliceTask = JSON.parse(res.text).taskId;
  });
  afterAll(() => api.close());

  it("answers another subject's task exactly like an unknown id", async () => {
    const mallory = bearer(await jwt.sign({ sub: 'auth0|mallory' }));
    const unknown = randomUUID();
    for (const path of [
      (id: string) => `/v1/tasks/${id}`,
      (id: string) => `/v1/tasks/${id}/cancel`,
    ]) {
      const method = path('x').endsWith('cancel') ? 'POST' : 'GET';
      const theirs = await api.call(method, path(aliceTask), { headers: mallory });
      const none = await api.call(method, path(unknown), { headers: mallory });
      expect(theirs.status).toBe(404);
      expect(theirs.text.replaceAll(aliceTask, '<id>')).toBe(none.text.replaceAll(unknown, '<id>'));
    }
    const list = JSON.parse((await api.call('GET', '/v1/tasks', { headers: mallory })).text);
    expect(list.items).toEqual([]);
    const mine = await api.call('GET', `/v1/tasks/${aliceTask}`, {
      headers: bearer(await jwt.sign({ sub: 'auth0|alice' })),
    });
    expect(JSON.parse(mine.text)).toMatchObject({ taskId: aliceTask, status: 'queued' });
  });

  it('is 401 on every route for bad tokens, and writes nothing', async () => {
    // Prepare
    const claims = { sub: 'auth0|alice' };
    const [header, payload] = (await jwt.sign(claims)).split('.');
    // Algorithm confusion: an HMAC "signed" with the published public key as the secret.
    const published = new TextEncoder().encode(await (await fetch(jwt.jwksUrl)).text());
    const hs256 = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .setIssuer(jwt.issuer)
      .setAudience(jwt.audience)
      .setExpirationTime('5m')
      .sign(published);
    const bad: Record<string, string | undefined> = {
      missing: undefined,
      expired: await jwt.sign(claims, { exp: Math.floor(Date.now() / 1000) - 120 }),
      'foreign issuer': await jwt.sign(claims, { iss: 'https://evil.test' }),
      'wrong audience': await jwt.sign(claims, { aud: 'someone-else' }),
      'unknown signing key': await jwt.signForeign(claims),
      'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`,
      'HS256 keyed with the public key': hs256,
      'tampered payload': `${header}.${b64({ sub: 'auth0|mallory', iss: jwt.issuer, aud: jwt.audience, exp: 9999999999 })}.${(await jwt.sign(claims)).split('.')[2]}`,
      garbage: 'not-a-token',
      'three dots': 'a.b.c',
      'empty bearer': '',
    };
    const before = api.writes();
    for (const route of API_ROUTES) {
      const path = route.path.replace('{taskId}', aliceTask);
      for (const [name, token] of Object.entries(bad)) {
        // Act
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (token !== undefined) headers.authorization = `Bearer ${token}`;
        const res = await api.call(route.method, path, {
          headers,
          body: JSON.stringify({ workflow: tinyWorkflow() }),
        });
        // Assess
        expect(res.status, `${route.method} ${route.path} with ${name}`).toBe(401);
        expect(res.text).not.toContain(aliceTask);
      }
    }
    expect(api.writes()).toBe(before);
  });

  it('refuses a well-signed token that names no subject, and writes nothing', async () => {
    const before = api.writes();
    for (const claims of [{ scope: 'x' }, { sub: '' }]) {
      const res = await api.call('POST', '/v1/tasks', {
        headers: bearer(await jwt.sign(claims)),
        body: JSON.stringify({ workflow: tinyWorkflow() }),
      });
      expect(res.status).toBe(401);
      // The verifier refuses it at the gateway; were it let through, the function's own check answers.
      if (res.text !== '{"message":"Unauthorized"}')
        expect(errorShapeProblem(res.text)).toBeUndefined();
    }
    expect(api.writes()).toBe(before);
  });
});
