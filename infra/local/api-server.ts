/**
 * The local API Gateway: an HTTP server that turns each request into an HTTP API payload 2.0 event,
 * runs the route's authorizer as API Gateway would, invokes the route's function (the same
 * functions/<name>/index.ts handler Lambda runs) and writes its result back by the v2 rules.
 * Unknown routes are 404, unauthorised calls 401/403, a failing (or timed-out) function 500, an
 * integration slower than the gateway waits 503, each with API Gateway's `{"message": ...}` body.
 */

import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RouteAuthorizer } from './api/authorizers.js';
import { type CorsConfig, preflight, withCors } from './api/cors.js';
import { type ApiContext, buildHttpApiEvent } from './api/http-api-event.js';
import { GATEWAY_ERRORS, type HttpResponse, toHttpResponse } from './api/http-api-result.js';
import type { LocalRoute } from './api/route-match.js';
import { matchRoute } from './api/route-match.js';
import { type ThrottleConfig, tokenBucket } from './api/throttle.js';
import { invokeFunction, type LocalFunction } from './runtime/invoke.js';
import type { StaticSite } from './web-demo.js';

/** API Gateway's payload limit. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

interface AccessLogLine {
  method: string;
  path: string;
  status: number;
  ms: number;
  routeKey?: string;
}

export interface ApiServerOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  routes: readonly LocalRoute[];
  /** Loaded functions by folder name; a route whose function is missing answers 500. */
  functions: ReadonlyMap<string, LocalFunction>;
  /** API Gateway's CORS settings; without them no CORS headers are added (the deployed default). */
  cors?: CorsConfig;
  /** How long API Gateway waits for a function. @default 30_000 (the HTTP API maximum) */
  integrationTimeoutMs?: number;
  /** The stage's throttle; without it nothing is throttled. */
  throttle?: ThrottleConfig;
  /** Runs for every route with `auth: true`. Without it such routes answer 500. */
  authorizer?: RouteAuthorizer;
  api?: Partial<ApiContext>;
  onRequest?: (line: AccessLogLine) => void;
  onError?: (err: unknown, where: string) => void;
  /**
   * Static files served under a prefix before any route (the web demo at `/demo/`). Local only:
   * deployed, the demo is hosted as a static site of its own.
   */
  site?: { prefix: string; files: StaticSite };
}

/** GET/HEAD of a file of the site (`prefix` itself is its index.html; `prefix` without the slash redirects). */
function staticFile(
  site: { prefix: string; files: StaticSite },
  method: string,
  path: string,
): HttpResponse | undefined {
  if (method !== 'GET' && method !== 'HEAD') return undefined;
  if (path === site.prefix.replace(/\/$/, '')) {
    return { statusCode: 301, headers: { location: site.prefix }, body: Buffer.alloc(0) };
  }
  if (!path.startsWith(site.prefix)) return undefined;
  const name = path.slice(site.prefix.length) || 'index.html';
  const file = site.files.get(name);
  if (!file) return undefined;
  return {
    statusCode: 200,
    headers: { 'content-type': file.contentType, 'cache-control': 'no-cache' },
    body: method === 'HEAD' ? Buffer.alloc(0) : file.body,
  };
}

export interface ApiServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, out: HttpResponse, requestId: string) {
  res.statusCode = out.statusCode;
  for (const [k, v] of Object.entries(out.headers)) res.setHeader(k, v);
  res.setHeader('apigw-requestid', requestId);
  res.setHeader('content-length', out.body.length);
  res.end(out.body);
}

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const api: ApiContext = {
    apiId: opts.api?.apiId ?? 'local',
    stage: opts.api?.stage ?? '$default',
    region: opts.api?.region ?? 'us-east-1',
  };
  const bucket = opts.throttle ? tokenBucket(opts.throttle) : undefined;
  const handle = async (req: IncomingMessage, port: number): Promise<[HttpResponse, string?]> => {
    if (bucket && !bucket.take()) {
      req.resume();
      return [GATEWAY_ERRORS.throttled()];
    }
    const body = await readBody(req);
    if (!body) return [GATEWAY_ERRORS.tooLarge()];
    const pre = preflight(opts.cors, req.method ?? 'GET', req.headers);
    if (pre) return [pre];
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    const file = opts.site && staticFile(opts.site, req.method ?? 'GET', path);
    if (file) return [file];
    const match = matchRoute(opts.routes, req.method ?? 'GET', path);
    if (!match) return [GATEWAY_ERRORS.notFound()];
    const event = buildHttpApiEvent(
      {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        rawHeaders: req.rawHeaders,
        body,
        sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
        port,
      },
      match,
      api,
    );
    if (match.route.auth) {
      if (!opts.authorizer) {
        opts.onError?.(new Error('no authorizer configured'), match.routeKey);
        return [GATEWAY_ERRORS.internal(), match.routeKey];
      }
      const auth = await opts.authorizer.authorize(event);
      if (!auth.allowed) return [auth.response, match.routeKey];
      (event.requestContext as { authorizer?: unknown }).authorizer = auth.authorizer;
    }
    const fn = opts.functions.get(match.route.fn);
    if (!fn) {
      opts.onError?.(new Error(`functions/${match.route.fn} is not available`), match.routeKey);
      return [GATEWAY_ERRORS.internal(), match.routeKey];
    }
    // A function error, its own timeout included, is a 500; the gateway giving up on a slower
    // integration (30 s for HTTP APIs) is a 503.
    let timer: NodeJS.Timeout | undefined;
    const gatewayTimeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), opts.integrationTimeoutMs ?? 30_000);
    });
    try {
      const out = await Promise.race([
        invokeFunction(fn, event, { region: api.region }),
        gatewayTimeout,
      ]);
      if (out === 'timeout') {
        opts.onError?.(new Error('integration timed out'), match.routeKey);
        return [GATEWAY_ERRORS.unavailable(), match.routeKey];
      }
      return [toHttpResponse(out), match.routeKey];
    } catch (err) {
      opts.onError?.(err, match.routeKey);
      return [GATEWAY_ERRORS.internal(), match.routeKey];
    } finally {
      clearTimeout(timer);
    }
  };

  const server = createServer((req, res) => {
    const started = Date.now();
    const requestId = randomBytes(11).toString('base64');
    const port = (server.address() as AddressInfo).port;
    handle(req, port)
      .catch((err): [HttpResponse] => {
        opts.onError?.(err, 'api-server');
        return [GATEWAY_ERRORS.internal()];
      })
      .then(([out, routeKey]) => {
        send(res, withCors(opts.cors, req.headers.origin, out), requestId);
        opts.onRequest?.({
          method: req.method ?? 'GET',
          path: (req.url ?? '/').split('?', 1)[0] ?? '/',
          status: out.statusCode,
          ms: Date.now() - started,
          ...(routeKey ? { routeKey } : {}),
        });
      });
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(`Port ${opts.port} on ${host} is already in use (local API).`, { cause: err })
          : err,
      ),
    );
    server.listen(opts.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
