import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearerToken, createJwtVerifier } from '../../../shared/auth/jwt-verifier.js';
import { UnauthorizedError } from '../../../shared/domain/errors.js';

const ISSUER = 'https://issuer.example';
const AUDIENCE = 'comfy-api';

describe('JWT verifier', () => {
  let keys: Awaited<ReturnType<typeof generateKeyPair>>;
  let other: Awaited<ReturnType<typeof generateKeyPair>>;
  beforeAll(async () => {
    keys = await generateKeyPair('RS256');
    other = await generateKeyPair('RS256');
  });
  const token = (
    claims: Record<string, unknown>,
    key = keys.privateKey,
    exp: string | number = '5m',
  ) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer((claims.iss as string) ?? ISSUER)
      .setAudience((claims.aud as string) ?? AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(key);

  it('returns the claims of a valid token, with a local PEM key or a JWKS', async () => {
    const pem = createJwtVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      publicKeyPem: await exportSPKI(keys.publicKey),
    });
    const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'k1', alg: 'RS256' };
    const jwks = createJwtVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [jwk] } });
    const t = await token({ sub: 'user-1' });
    expect((await pem.verify(t)).sub).toBe('user-1');
    expect((await jwks.verify(t)).sub).toBe('user-1');
  });

  it.each([
    ['no token', async () => undefined],
    ['another issuer', () => token({ sub: 'u', iss: 'https://evil.example' })],
    ['another audience', () => token({ sub: 'u', aud: 'other' })],
    ['another key', () => token({ sub: 'u' }, other.privateKey)],
    [
      'an expired token',
      () => token({ sub: 'u' }, keys.privateKey, Math.floor(Date.now() / 1000) - 60),
    ],
    ['no sub', () => token({})],
  ])('rejects %s as UNAUTHORIZED', async (_name, make) => {
    const v = createJwtVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      publicKeyPem: await exportSPKI(keys.publicKey),
    });
    await expect(v.verify(await make())).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('reads the bearer token from the Authorization header', () => {
    expect(bearerToken({ authorization: 'Bearer abc.def.ghi' })).toBe('abc.def.ghi');
    expect(bearerToken({ Authorization: 'Basic xyz' })).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
