import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SpawnedRuntime, spawnLocalRuntime } from '../../helpers/local-runtime.js';

/** npm start with AUTH_MODE=jwt: tokens from a local issuer, the owner is `sub`. */
describe('npm start in JWT mode', () => {
  let jwks: Server;
  let rt: SpawnedRuntime;
  let token: (sub: string, aud?: string) => Promise<string>;
  const issuer = 'https://issuer.example';

  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    // Also stands in for ComfyUI (GET /system_stats): nothing here needs a task to run.
    jwks = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}`;
    token = (sub, aud = 'my-app') =>
      new SignJWT({ sub, aud })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setIssuer(issuer)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey);
    rt = await spawnLocalRuntime({
      args: ['--comfyui-url', base, '--quiet'],
      env: {
        AUTH_MODE: 'jwt',
        JWT_ISSUER: issuer,
        JWT_AUDIENCE: 'my-app',
        JWT_JWKS_URL: `${base}/jwks.json`,
      },
    });
  }, 90_000);
  afterAll(async () => {
    await rt?.signal('SIGINT');
    await new Promise((r) => jwks.close(r));
  });

  const call = (path: string, bearer?: string, body?: unknown) =>
    fetch(`${rt.apiUrl}${path}`, {
      method: body ? 'POST' : 'GET',
      headers: {
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

  it('creates no API key and says how to authenticate', () => {
    expect(rt.output()).toContain('AUTH_MODE=jwt');
    expect(rt.output()).not.toMatch(/csk_[A-Za-z0-9_-]{43}/);
  });

  it('is 401 without a token, with a wrong-audience token, or with garbage', async () => {
    expect((await call('/v1/tasks')).status).toBe(401);
    expect((await call('/v1/tasks', await token('alice', 'other'))).status).toBe(401);
    expect((await call('/v1/tasks', 'not.a.jwt')).status).toBe(401);
  });

  it("serves a caller's own tasks by the token's sub, and hides them from others", async () => {
    const alice = await token('alice');
    const submitted = await call('/v1/tasks', alice, {
      workflow: { '1': { class_type: 'EmptyImage', inputs: {} } },
    });
    expect(submitted.status).toBe(202);
    const { taskId } = (await submitted.json()) as { taskId: string };
    expect((await call(`/v1/tasks/${taskId}`, alice)).status).toBe(200);
    expect((await call(`/v1/tasks/${taskId}`, await token('bob'))).status).toBe(404);
  });
});
