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

  describe("what API Gateway's JWT authorizer also enforces", () => {
    const now = Math.floor(Date.now() / 1000);
    const raw = (header: Record<string, unknown>, claims: Record<string, unknown>) =>
      new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: 'u', ...claims })
        .setProtectedHeader({ alg: 'RS256', ...header })
        .sign(keys.privateKey);
    const verifier = () =>
      exportJWK(keys.publicKey).then((jwk) =>
        createJwtVerifier({
          issuer: ISSUER,
          audience: AUDIENCE,
          jwks: { keys: [{ ...jwk, kid: 'k1', alg: 'RS256' }] },
        }),
      );

    it.each([
      ['no exp', { kid: 'k1' }, { iat: now }],
      ['no kid', {}, { iat: now, exp: now + 300 }],
      ['a kid the JWKS does not hold', { kid: 'k2' }, { iat: now, exp: now + 300 }],
      ['iat a year ahead', { kid: 'k1' }, { iat: now + 365 * 86400, exp: now + 366 * 86400 }],
      ['nbf an hour ahead', { kid: 'k1' }, { iat: now, nbf: now + 3600, exp: now + 7200 }],
      ['exp a minute ago', { kid: 'k1' }, { iat: now - 600, exp: now - 60 }],
    ])('rejects a token with %s', async (_name, header, claims) => {
      await expect((await verifier()).verify(await raw(header, claims))).rejects.toBeInstanceOf(
        UnauthorizedError,
      );
    });

    it('tolerates a small clock skew on iat, nbf and exp', async () => {
      const t = await raw({ kid: 'k1' }, { iat: now + 10, nbf: now + 10, exp: now - 10 });
      expect((await (await verifier()).verify(t)).sub).toBe('u');
    });
  });

  it('reads the bearer token from the Authorization header', () => {
    expect(bearerToken({ authorization: 'Bearer abc.def.ghi' })).toBe('abc.def.ghi');
    expect(bearerToken({ Authorization: 'Basic xyz' })).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
