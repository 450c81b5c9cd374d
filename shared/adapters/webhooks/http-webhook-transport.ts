/**
 * WebhookTransport over undici. Each attempt gets its own connection, made to the address the
 * target check approved (a pinned `lookup`; TLS still verifies the URL's host name), with one
 * overall time limit (10 s by default) covering connect, headers and body. Redirects are never
 * followed. At most `maxResponseBytes` of the response body are read, then the socket is dropped.
 */
import { Agent, request } from 'undici';
import type { WebhookAttemptResult, WebhookTransport } from '../../ports/webhook-transport.js';
import type { CheckedTarget } from '../../webhooks/target.js';

export interface HttpWebhookTransportOptions {
  /** @default 10000 */
  timeoutMs?: number;
  /** @default 4096 */
  maxResponseBytes?: number;
}

type LookupCallback = (
  err: Error | null,
  address: string | { address: string; family: number }[],
  family?: number,
) => void;

export class HttpWebhookTransport implements WebhookTransport {
  private readonly timeoutMs: number;
  private readonly maxResponseBytes: number;

  constructor(o: HttpWebhookTransportOptions = {}) {
    this.timeoutMs = o.timeoutMs ?? 10_000;
    this.maxResponseBytes = o.maxResponseBytes ?? 4096;
  }

  async post(
    target: CheckedTarget,
    headers: Record<string, string>,
    body: string,
  ): Promise<WebhookAttemptResult> {
    const { address, family } = target.address;
    const pinned = (_host: string, opts: { all?: boolean }, cb: LookupCallback) => {
      if (opts?.all) cb(null, [{ address, family }]);
      else cb(null, address, family);
    };
    const agent = new Agent({
      connections: 1,
      pipelining: 0,
      connectTimeout: this.timeoutMs,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      connect: { lookup: pinned as never },
    });
    const signal = AbortSignal.timeout(this.timeoutMs);
    try {
      const res = await request(target.url, {
        method: 'POST',
        dispatcher: agent,
        signal,
        headers: {
          ...headers,
          'content-type': 'application/json',
          'user-agent': 'comfy-serverless-webhooks/1',
        },
        body,
        maxRedirections: 0,
      } as Parameters<typeof request>[1]);
      await this.drain(res.body);
      if (res.statusCode >= 200 && res.statusCode < 300) return { status: res.statusCode };
      const what =
        res.statusCode >= 300 && res.statusCode < 400
          ? `redirect not followed (HTTP ${res.statusCode})`
          : `HTTP ${res.statusCode}`;
      return { status: res.statusCode, error: what };
    } catch (err) {
      return { error: describe(err, signal.aborted, this.timeoutMs) };
    } finally {
      agent.destroy().catch(() => undefined);
    }
  }

  private async drain(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<void> {
    let read = 0;
    try {
      for await (const chunk of body) {
        read += chunk.length;
        if (read >= this.maxResponseBytes) break;
      }
    } catch {
      // A body cut short after the status arrived does not change the outcome.
    } finally {
      body.destroy();
    }
  }
}

function describe(err: unknown, timedOut: boolean, timeoutMs: number): string {
  if (timedOut) return `no answer within ${timeoutMs} ms`;
  const e = err as { code?: string; cause?: { code?: string }; message?: string };
  const code = e.cause?.code ?? e.code;
  return code ? `${code}: ${e.message ?? ''}`.trim() : String(e.message ?? err);
}
