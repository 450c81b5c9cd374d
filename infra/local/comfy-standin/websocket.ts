/**
 * The stand-in's `/ws?clientId=<id>` (also `/api/ws`), as ComfyUI serves it: a `status` message with
 * the `sid` on connect, then JSON text frames `{type, data}`. Like ComfyUI it keeps one socket per
 * client id, the last to connect, and forgets the id when any socket with it closes (even an older
 * one whose id a newer socket took). Execution events of a prompt go to the socket of the prompt's
 * `client_id` (to every socket when it has none), `status` to everyone. A minimal RFC 6455 server:
 * text frames out, client frames read only to answer ping and close.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

interface Client {
  id: string;
  socket: Duplex;
}

function frame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  const head =
    len < 126
      ? Buffer.from([0x80 | opcode, len])
      : len < 65_536
        ? Buffer.from([0x80 | opcode, 126, len >> 8, len & 255])
        : (() => {
            const b = Buffer.alloc(10);
            b[0] = 0x80 | opcode;
            b[1] = 127;
            b.writeBigUInt64BE(BigInt(len), 2);
            return b;
          })();
  return Buffer.concat([head, payload]);
}

export class StandInWebSockets {
  /** The socket of each client id, as ComfyUI's `sockets` dict. */
  private readonly clients = new Map<string, Client>();

  constructor(private readonly queueRemaining: () => number) {}

  /** Handles an HTTP upgrade; false when the path is not the WebSocket route. */
  upgrade(req: IncomingMessage, socket: Duplex): boolean {
    const url = new URL(req.url ?? '/', 'http://standin');
    if (url.pathname !== '/ws' && url.pathname !== '/api/ws') return false;
    const key = req.headers['sec-websocket-key'];
    if (typeof key !== 'string') {
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return true;
    }
    const accept = createHash('sha1')
      .update(key + GUID)
      .digest('base64');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    const client: Client = {
      id: url.searchParams.get('clientId') ?? randomUUID().replaceAll('-', ''),
      socket,
    };
    // Connecting with an id replaces the older socket for that id; any socket closing forgets its
    // id, as ComfyUI's websocket handler does (`sockets.pop(sid)` in its `finally`).
    this.clients.set(client.id, client);
    const forget = () => this.clients.delete(client.id);
    socket.on('data', (buf: Buffer) => this.read(client, buf));
    socket.on('close', forget);
    socket.on('error', forget);
    this.sendTo(client, 'status', {
      status: { exec_info: { queue_remaining: this.queueRemaining() } },
      sid: client.id,
    });
    return true;
  }

  /** An event of a prompt: to its client's sockets, or to all when the prompt has no client id. */
  emit(clientId: string | undefined, type: string, data: Record<string, unknown>): void {
    for (const c of this.clients.values())
      if (clientId === undefined || c.id === clientId) this.sendTo(c, type, data);
  }

  /** A queue change, to everyone. */
  status(): void {
    for (const c of this.clients.values())
      this.sendTo(c, 'status', {
        status: { exec_info: { queue_remaining: this.queueRemaining() } },
      });
  }

  closeAll(): void {
    for (const c of this.clients.values()) c.socket.destroy();
    this.clients.clear();
  }

  private sendTo(c: Client, type: string, data: Record<string, unknown>): void {
    if (c.socket.writable) c.socket.write(frame(0x1, Buffer.from(JSON.stringify({ type, data }))));
  }

  /** Answers ping with pong and close with close; ignores everything else (one frame per chunk). */
  private read(c: Client, buf: Buffer): void {
    if (buf.length < 2) return;
    const opcode = (buf[0] ?? 0) & 0x0f;
    if (opcode === 0x8) {
      c.socket.end(frame(0x8, Buffer.alloc(0)));
      this.clients.delete(c.id);
    } else if (opcode === 0x9) {
      const len = (buf[1] ?? 0) & 0x7f;
      const mask = buf.subarray(2, 6);
      const payload = Buffer.from(buf.subarray(6, 6 + len).map((b, i) => b ^ (mask[i % 4] ?? 0)));
      c.socket.write(frame(0xa, payload));
    }
  }
}
