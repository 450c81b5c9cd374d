/**
 * The API as a caller meets it, for the hostile-input tests: the local API server (real HTTP, API
 * Gateway's routing and authorizer rules), the real authorizer (API keys in DynamoDB) or a JWT
 * authorizer with a local JWKS, and every route function built by its deps.ts (the wiring its
 * index.ts uses) against a fresh stack on the emulators. A RequestCounter on the SDK clients tells
 * whether a request wrote anything.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { buildDeps as authorizerDeps } from '../../../../functions/authorizer/deps.js';
import { createHandler as createAuthorizer } from '../../../../functions/authorizer/handler.js';
import { buildDeps as cancelDeps } from '../../../../functions/cancel/deps.js';
import { createHandler as createCancel } from '../../../../functions/cancel/handler.js';
import { buildDeps as uploadDeps } from '../../../../functions/create-upload/deps.js';
import { createHandler as createUpload } from '../../../../functions/create-upload/handler.js';
import { buildDeps as listDeps } from '../../../../functions/list/deps.js';
import { createHandler as createList } from '../../../../functions/list/handler.js';
import { API_KEY_AUTHORIZER, API_ROUTES } from '../../../../functions/manifests.js';
import { buildDeps as modelsDeps } from '../../../../functions/models/deps.js';
import { createHandler as createModels } from '../../../../functions/models/handler.js';
import { buildDeps as statusDeps } from '../../../../functions/status/deps.js';
import { createHandler as createStatus } from '../../../../functions/status/handler.js';
import { buildDeps as submitDeps } from '../../../../functions/submit/deps.js';
import { createHandler as createSubmit } from '../../../../functions/submit/handler.js';
import { buildDeps as templatesDeps } from '../../../../functions/templates/deps.js';
import { createHandler as createTemplates } from '../../../../functions/templates/handler.js';
import {
  jwtAuthorizer,
  lambdaAuthorizer,
  type RouteAuthorizer,
} from '../../../../infra/local/api/authorizers.js';
import { type ApiServer, startApiServer } from '../../../../infra/local/api-server.js';
import type { LocalFunction } from '../../../../infra/local/runtime/invoke.js';
import { RequestCounter } from '../../../../shared/adapters/aws/request-counter.js';
import { createJwtVerifier } from '../../../../shared/auth/jwt-verifier.js';
import { createKey, revokeKey } from '../../../../shared/auth/key-admin.js';
import { systemClock } from '../../../../shared/ports/clock.js';
import { createTestStack, type TestStack } from '../../../helpers/stack.js';

const API = { apiId: 'local', stage: '$default', region: 'us-east-1' };

/** SDK operations that change state (DynamoDB document and low-level names, SQS, S3). */
const WRITE_OPERATIONS = new Set([
  'Put',
  'PutItem',
  'Update',
  'UpdateItem',
  'Delete',
  'DeleteItem',
  'TransactWrite',
  'TransactWriteItems',
  'BatchWrite',
  'BatchWriteItem',
  'SendMessage',
  'SendMessageBatch',
  'DeleteMessage',
  'PutObject',
  'CreateMultipartUpload',
  'UploadPart',
  'CompleteMultipartUpload',
  'DeleteObject',
  'CopyObject',
]);

export interface SecureApiOptions {
  /** Extra function environment (e.g. UPLOAD_MAX_BYTES). */
  env?: Record<string, string>;
  /** JWT mode with a local issuer and JWKS instead of API keys. */
  jwt?: boolean;
  /** The logger the functions use. @default a silent one */
  logger?: Logger;
}

export interface JwtIssuer {
  issuer: string;
  audience: string;
  /** Where the public keys are published (what an attacker can read too). */
  jwksUrl: string;
  /** A token signed by the trusted key (RS256), with `iss`, `aud` and a 5-minute `exp` unless set. */
  sign(
    claims: JWTPayload,
    opts?: { exp?: string | number; iss?: string; aud?: string },
  ): Promise<string>;
  /** A token signed by a key the JWKS does not hold. */
  signForeign(claims: JWTPayload): Promise<string>;
}

export interface SecureApi {
  url: string;
  stack: TestStack;
  /** API keys (API-key mode): two owners, and a revoked key of alice. */
  keys: { alice: string; mallory: string; revoked: string };
  jwt?: JwtIssuer;
  counter: RequestCounter;
  /** Write operations sent so far (all clients). */
  writes(): number;
  call(
    method: string,
    path: string,
    init?: { headers?: Record<string, string>; body?: string | Buffer },
  ): Promise<{ status: number; text: string; headers: Headers }>;
  close(): Promise<void>;
}

const silent = () => new Logger({ serviceName: 'security-test', logLevel: 'SILENT' });

async function startJwks(): Promise<{ server: Server; issuer: JwtIssuer; jwksUrl: string }> {
  const trusted = await generateKeyPair('RS256');
  const foreign = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(trusted.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  const issuer = 'https://issuer.test';
  const audience = 'comfy-api';
  const build = (claims: JWTPayload, opts: { exp?: string | number; iss?: string; aud?: string }) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(opts.iss ?? issuer)
      .setAudience(opts.aud ?? audience)
      .setIssuedAt()
      .setExpirationTime(opts.exp ?? '5m');
  return {
    server,
    jwksUrl,
    issuer: {
      issuer,
      audience,
      jwksUrl,
      sign: (claims, opts = {}) => build(claims, opts).sign(trusted.privateKey),
      signForeign: (claims) => build(claims, {}).sign(foreign.privateKey),
    },
  };
}

export async function startSecureApi(opts: SecureApiOptions = {}): Promise<SecureApi> {
  const stack = await createTestStack();
  const counter = new RequestCounter();
  counter.attach(stack.clients.dynamodb).attach(stack.clients.sqs).attach(stack.clients.s3);
  const logger = opts.logger ?? silent();
  const config = stack.config({ LOG_LEVEL: 'DEBUG', ...opts.env });
  // Each route function as its index.ts wires it, logging to the test's logger.
  const withLogger = <D extends object>(d: D): D => ({ ...d, obs: { logger } });
  const fn = (name: string, handler: LocalFunction['handler']): LocalFunction => ({
    name,
    handler,
    timeoutMs: 29_000,
  });
  const functions = new Map<string, LocalFunction>([
    ['submit', fn('submit', createSubmit(withLogger(submitDeps(config, stack.clients))))],
    ['status', fn('status', createStatus(withLogger(statusDeps(config, stack.clients))))],
    ['list', fn('list', createList(withLogger(listDeps(config, stack.clients))))],
    ['cancel', fn('cancel', createCancel(withLogger(cancelDeps(config, stack.clients))))],
    [
      'templates',
      fn('templates', createTemplates(withLogger(templatesDeps(config, stack.clients)))),
    ],
    ['models', fn('models', createModels(withLogger(modelsDeps(config, stack.clients))))],
    [
      'create-upload',
      fn('create-upload', createUpload(withLogger(uploadDeps(config, stack.clients)))),
    ],
  ]);
  const admin = {
    keys: authorizerDeps(stack.config(), stack.clients).keys,
    clock: systemClock,
  };
  const alice = await createKey(admin, 'alice', 'security');
  const mallory = await createKey(admin, 'mallory', 'security');
  const revoked = await createKey(admin, 'alice', 'revoked');
  await revokeKey(admin, revoked.keyId);

  let jwks: Awaited<ReturnType<typeof startJwks>> | undefined;
  let authorizer: RouteAuthorizer;
  if (opts.jwt) {
    jwks = await startJwks();
    authorizer = jwtAuthorizer({
      verifier: createJwtVerifier({
        issuer: jwks.issuer.issuer,
        audience: jwks.issuer.audience,
        jwksUrl: jwks.jwksUrl,
      }),
    });
  } else {
    const authDeps = { ...authorizerDeps(stack.config(), stack.clients), logger };
    authorizer = lambdaAuthorizer({
      fn: fn('authorizer', createAuthorizer(authDeps)),
      identitySource: API_KEY_AUTHORIZER.identitySource,
      cacheTtlSeconds: API_KEY_AUTHORIZER.resultsCacheTtlSeconds,
      api: API,
    });
  }
  const server: ApiServer = await startApiServer({
    port: 0,
    routes: API_ROUTES,
    functions,
    api: API,
    authorizer,
  });
  const writes = () =>
    counter
      .snapshot()
      .filter((c) => WRITE_OPERATIONS.has(c.operation))
      .reduce((n, c) => n + c.calls, 0);
  return {
    url: server.url,
    stack,
    keys: { alice: alice.key, mallory: mallory.key, revoked: revoked.key },
    ...(jwks ? { jwt: jwks.issuer } : {}),
    counter,
    writes,
    async call(method, path, init = {}) {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: init.headers ?? {},
        ...(init.body !== undefined && method !== 'GET' ? { body: init.body } : {}),
      });
      return { status: res.status, text: await res.text(), headers: res.headers };
    },
    async close() {
      await server.close();
      if (jwks) await new Promise((r) => jwks?.server.close(r));
    },
  };
}

/** `{"error":{"code","message"}}` with a SCREAMING_SNAKE code, or a reason it is not. */
export function errorShapeProblem(text: string): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return `not JSON: ${text.slice(0, 200)}`;
  }
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (!error || typeof error !== 'object') return `no "error" object: ${text.slice(0, 200)}`;
  if (typeof error.code !== 'string' || !/^[A-Z][A-Z0-9_]*$/.test(error.code))
    return `bad code: ${text.slice(0, 200)}`;
  if (typeof error.message !== 'string' || error.message.length === 0)
    return `bad message: ${text.slice(0, 200)}`;
  return undefined;
}
