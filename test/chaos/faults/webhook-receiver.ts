/**
 * The chaos run's webhook subscribers: one HTTP receiver on 127.0.0.1, one path per owner, that
 * verifies every delivery with the `standardwebhooks` package and the owner's signing secret. While
 * its faults are on (until every task has ended), a share of deliveries (seeded) get a 500, hang past the sender's time limit, or
 * have their connection reset; the rest are answered 204 and recorded. A 2xx answer is what the
 * sender counts as delivered, so only those deliveries are "received".
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedDelivery {
  webhookId: string;
  owner: string;
  type: string;
  taskId: string;
  status: string;
  at: number;
}

export interface WebhookFaults {
  status500: number;
  hang: number;
  reset: number;
}

export interface ChaosReceiver {
  url(owner: string): string;
  /** Deliveries answered 2xx, in order of arrival. */
  received: ReceivedDelivery[];
  /** Deliveries whose signature did not verify (answered 400). */
  rejected: string[];
  faults: WebhookFaults;
  /** Inject faults (true until every task has ended). */
  failing: boolean;
  close(): Promise<void>;
}

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });

export async function startChaosReceiver(opts: {
  secrets: Record<string, string>;
  /** Share of deliveries that fail while `failing` (split evenly: 500, hang, reset). */
  failRate: number;
  /** How long a hanging answer waits (longer than the sender's time limit). */
  hangMs: number;
  random: () => number;
}): Promise<ChaosReceiver> {
  const state: ChaosReceiver = {
    url: () => '',
    received: [],
    rejected: [],
    faults: { status500: 0, hang: 0, reset: 0 },
    failing: true,
    close: async () => {},
  };
  const hanging = new Set<NodeJS.Timeout>();
  const server: Server = createServer(async (req, res) => {
    const owner = decodeURIComponent((req.url ?? '').replace(/^\/hook\//, ''));
    const body = await readBody(req).catch(() => undefined);
    if (body === undefined) return;
    const secret = opts.secrets[owner];
    let event: { type: string; data: { taskId: string; status: string } };
    try {
      if (!secret) throw new Error(`no secret for owner ${owner}`);
      event = new Webhook(secret).verify(body, req.headers as Record<string, string>) as never;
    } catch (err) {
      state.rejected.push(`${owner}: ${String(err)}`);
      res.writeHead(400).end();
      return;
    }
    if (state.failing && opts.random() < opts.failRate) {
      const kind = opts.random();
      if (kind < 1 / 3) {
        state.faults.status500++;
        res.writeHead(500, { 'content-type': 'text/plain' }).end('injected failure (chaos)');
      } else if (kind < 2 / 3) {
        state.faults.hang++;
        const t = setTimeout(() => {
          hanging.delete(t);
          res.destroy();
        }, opts.hangMs);
        hanging.add(t);
      } else {
        state.faults.reset++;
        req.socket.destroy();
      }
      return;
    }
    state.received.push({
      webhookId: String(req.headers['webhook-id']),
      owner,
      type: event.type,
      taskId: event.data.taskId,
      status: event.data.status,
      at: Date.now(),
    });
    res.writeHead(204).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  state.url = (owner) => `http://127.0.0.1:${port}/hook/${encodeURIComponent(owner)}`;
  state.close = async () => {
    for (const t of hanging) clearTimeout(t);
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  return state;
}
