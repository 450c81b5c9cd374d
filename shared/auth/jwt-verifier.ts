/**
 * JWT mode. In AWS the HTTP API's JWT authorizer verifies tokens (issuer and audience from config) and
 * puts the claims in the event; this verifier does the same job for the local runtime, against a JWKS
 * URL or a local public key, so both paths give the same owner (`sub`). Like API Gateway's JWT
 * authorizer it requires `kid` in the header (matched against the JWKS) and `exp`, and refuses a token
 * whose `nbf` or `iat` lies in the future, allowing {@link CLOCK_SKEW_SECONDS} of clock skew.
 */
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  importSPKI,
  type JSONWebKeySet,
  type JWTPayload,
  jwtVerify,
} from 'jose';
import { UnauthorizedError } from '../domain/errors.js';

/** Clock skew tolerated on `exp`, `nbf` and `iat`. */
const CLOCK_SKEW_SECONDS = 30;

export interface JwtVerifierOptions {
  issuer: string;
  audience: string;
  /** One of: a JWKS URL, a JWKS object, or a PEM (SPKI) public key with its algorithm. */
  jwksUrl?: string;
  jwks?: JSONWebKeySet;
  publicKeyPem?: string;
  algorithm?: string;
  /** Current time in ms (tests). @default Date.now */
  now?: () => number;
}

export interface JwtVerifier {
  /** The verified claims; UnauthorizedError for a missing, expired or otherwise invalid token. */
  verify(token: string | undefined): Promise<JWTPayload & { sub: string }>;
}

export function createJwtVerifier(opts: JwtVerifierOptions): JwtVerifier {
  const key = keySource(opts);
  return {
    async verify(token) {
      if (!token) throw new UnauthorizedError('A bearer token is required.');
      try {
        const { kid } = decodeProtectedHeader(token);
        if (typeof kid !== 'string' || kid === '') throw new Error('the token has no kid');
        const now = opts.now?.() ?? Date.now();
        const { payload } = await jwtVerify(token, await key(), {
          issuer: opts.issuer,
          audience: opts.audience,
          requiredClaims: ['exp'],
          clockTolerance: CLOCK_SKEW_SECONDS,
          currentDate: new Date(now),
        });
        if (typeof payload.sub !== 'string' || payload.sub === '') {
          throw new Error('the token has no sub');
        }
        // jose checks `iat` only against a maximum age; a token issued in the future is refused here.
        if (
          typeof payload.iat === 'number' &&
          payload.iat * 1000 > now + CLOCK_SKEW_SECONDS * 1000
        ) {
          throw new Error('the token is issued in the future');
        }
        return payload as JWTPayload & { sub: string };
      } catch (err) {
        if (err instanceof UnauthorizedError) throw err;
        throw new UnauthorizedError('The bearer token is not valid.');
      }
    },
  };
}

type KeyInput = Parameters<typeof jwtVerify>[1];

function keySource(opts: JwtVerifierOptions): () => Promise<KeyInput> {
  if (opts.jwks) {
    const set = createLocalJWKSet(opts.jwks);
    return async () => set as KeyInput;
  }
  if (opts.publicKeyPem) {
    const pem = opts.publicKeyPem;
    let pending: Promise<KeyInput> | undefined;
    return () => {
      pending ??= importSPKI(pem, opts.algorithm ?? 'RS256') as Promise<KeyInput>;
      return pending;
    };
  }
  const url = opts.jwksUrl ?? `${opts.issuer.replace(/\/$/, '')}/.well-known/jwks.json`;
  const remote = createRemoteJWKSet(new URL(url));
  return async () => remote as KeyInput;
}

/** The token of an `Authorization: Bearer <token>` header. */
export function bearerToken(headers: Record<string, string | undefined> | undefined) {
  const name = Object.keys(headers ?? {}).find((h) => h.toLowerCase() === 'authorization');
  const value = name ? headers?.[name] : undefined;
  const match = value?.match(/^Bearer\s+(\S+)$/i);
  return match?.[1];
}
