/**
 * HttpWebhookTransport against real receivers on 127.0.0.1: answers, failures, a hanging receiver,
 * a connection reset, a redirect, a huge answer, and a host name whose DNS would say otherwise.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpWebhookTransport } from '../../../shared/adapters/webhooks/http-webhook-transport.js';
import type { CheckedTarget } from '../../../shared/webhooks/target.js';

type Route = (req: IncomingMessage, res: ServerResponse) => void;
const seen: { path: string; host?: string; body: string }[] = [];
let server: Server;
let port = 0;
let bigBodyBytesSent = 0;

const routes: Record<string, Route> = {
  '/ok': (_q, s) => s.writeHead(204).end(),
  '/fail': (_q, s) => s.writeHead(500).end('no'),
  '/hang': () => undefined,
  '/reset': (q) => q.socket.destroy(),
  '/redirect': (_q, s) => s.writeHead(302, { location: `http://127.0.0.1:${port}/ok` }).end(),
  '/big': (_q, s) => {
    s.writeHead(200, { 'content-type': 'text/plain' });
    const chunk = Buffer.alloc(64 * 1024, 97);
    const pump = () => {
      while (bigBodyBytesSent < 64 * 1024 * 1024) {
        bigBodyBytesSent += chunk.length;
        if (!s.write(chunk)) return void s.once('drain', pump);
      }
      s.end();
    };
    s.on('close', () => undefined);
    pump();
  },
};

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      seen.push({ path: req.url ?? '', host: req.headers.host, body });
      (
        routes[req.url ?? ''] ??
        ((_q: IncomingMessage, s: ServerResponse) => s.writeHead(404).end())
      )(req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

/** A target whose host name is not in DNS at all: only the pinned address can reach the server. */
const target = (path: string, host = 'receiver.invalid'): CheckedTarget => ({
  url: new URL(`http://${host}:${port}${path}`),
  address: { address: '127.0.0.1', family: 4 },
});
const transport = new HttpWebhookTransport({ timeoutMs: 1500, maxResponseBytes: 4096 });
const post = (path: string) => transport.post(target(path), { 'webhook-id': 'msg_1' }, '{"a":1}');

describe('HttpWebhookTransport', () => {
  it('connects to the checked address, never resolving the name again, and sends the body', async () => {
    const res = await post('/ok');
    expect(res).toEqual({ status: 204 });
    expect(seen.at(-1)).toEqual({ path: '/ok', host: `receiver.invalid:${port}`, body: '{"a":1}' });
  });

  it('reports a 500 as a failure with its status', async () => {
    expect(await post('/fail')).toEqual({ status: 500, error: 'HTTP 500' });
  });

  it('gives up on a receiver that never answers after its time limit', async () => {
    const started = Date.now();
    const res = await post('/hang');
    expect(res.status).toBeUndefined();
    expect(res.error).toMatch(/no answer within 1500 ms/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('reports a connection closed without an answer', async () => {
    const res = await post('/reset');
    expect(res.status).toBeUndefined();
    expect(res.error).toMatch(/UND_ERR_SOCKET|ECONNRESET|other side closed/);
  });

  it('does not follow redirects', async () => {
    const before = seen.filter((s) => s.path === '/ok').length;
    expect(await post('/redirect')).toEqual({
      status: 302,
      error: 'redirect not followed (HTTP 302)',
    });
    expect(seen.filter((s) => s.path === '/ok').length).toBe(before);
  });

  it('reads only the first few KB of an answer', async () => {
    const res = await post('/big');
    expect(res).toEqual({ status: 200 });
    // The server stops when the socket goes away; far less than the 64 MiB it offered was sent.
    expect(bigBodyBytesSent).toBeLessThan(16 * 1024 * 1024);
  });

  it('reports a refused connection', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const res = await transport.post(
      {
        url: new URL(`http://x.invalid:${deadPort}/`),
        address: { address: '127.0.0.1', family: 4 },
      },
      {},
      '{}',
    );
    expect(res.error).toMatch(/ECONNREFUSED/);
  });
});
