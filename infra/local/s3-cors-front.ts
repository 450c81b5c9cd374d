/**
 * S3's bucket CORS in front of fauxqs, which has none: a pass-through HTTP proxy on the S3 + SQS
 * port that answers browser preflights and marks responses the way S3 does for the outputs bucket's
 * CORS rule (infra/outputs-cors.ts). So a page on an allowed origin (the web demo, or an app on
 * `--cors-origin`) can PUT an upload to its presigned URL locally exactly as deployed, and a page on
 * any other origin is refused as S3 refuses it.
 */
import { Agent, createServer, type IncomingHttpHeaders, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OutputsCorsRule } from '../outputs-cors.js';

export interface S3CorsFront {
  port: number;
  close(): Promise<void>;
}

const originAllowed = (rule: OutputsCorsRule, origin: string) =>
  rule.allowedOrigins.includes('*') || rule.allowedOrigins.includes(origin);

/** The headers S3 answers an allowed preflight with, or undefined when S3 would refuse it. */
export function s3Preflight(
  rule: OutputsCorsRule,
  headers: IncomingHttpHeaders,
): Record<string, string> | undefined {
  const origin = headers.origin;
  const method = headers['access-control-request-method'];
  if (!origin || !method) return undefined;
  if (!originAllowed(rule, origin)) return undefined;
  if (!(rule.allowedMethods as readonly string[]).includes(method.toUpperCase())) return undefined;
  const requested = headers['access-control-request-headers'];
  return {
    'access-control-allow-origin': rule.allowedOrigins.includes('*') ? '*' : origin,
    'access-control-allow-methods': rule.allowedMethods.join(', '),
    ...(requested ? { 'access-control-allow-headers': requested } : {}),
    'access-control-expose-headers': rule.exposedHeaders.join(', '),
    'access-control-max-age': String(rule.maxAgeSeconds),
    vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
  };
}

const FORBIDDEN_XML =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessForbidden</Code>' +
  '<Message>CORSResponse: This CORS request is not allowed. This is usually because the ' +
  'evalution of Origin, request method / Access-Control-Request-Method or ' +
  "Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.</Message></Error>";

/** Listens on `port` (0: a free one) and forwards everything else to fauxqs on `backendPort`. */
export async function startS3CorsFront(opts: {
  port: number;
  backendPort: number;
  rule: OutputsCorsRule;
}): Promise<S3CorsFront> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    const origin = req.headers.origin;
    if (req.method === 'OPTIONS' && origin && req.headers['access-control-request-method']) {
      req.resume();
      const allowed = s3Preflight(opts.rule, req.headers);
      if (allowed) {
        res.writeHead(200, { ...allowed, 'content-length': '0' });
        res.end();
      } else {
        res.writeHead(403, { 'content-type': 'application/xml' });
        res.end(FORBIDDEN_XML);
      }
      return;
    }
    const upstream = request(
      {
        host: '127.0.0.1',
        port: opts.backendPort,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (up) => {
        const headers: IncomingHttpHeaders = { ...up.headers };
        if (origin && originAllowed(opts.rule, origin)) {
          headers['access-control-allow-origin'] = opts.rule.allowedOrigins.includes('*')
            ? '*'
            : origin;
          headers['access-control-expose-headers'] = opts.rule.exposedHeaders.join(', ');
          headers.vary = 'Origin';
        }
        res.writeHead(up.statusCode ?? 502, headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}
