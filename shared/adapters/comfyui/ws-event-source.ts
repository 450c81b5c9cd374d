/**
 * ComfyEventSource over ComfyUI's WebSocket (`<server>/ws?clientId=<id>`, undici's WebSocket). The
 * client id is the one the dispatcher sends with every prompt, so ComfyUI routes those prompts'
 * events to this socket. ComfyUI keeps one socket per client id, the last to connect, and forgets
 * the id when any socket with it closes: a dropped connection is reopened only after `reconnectMs`,
 * and `close()` resolves once the server has seen the close, so the next watcher (the next poller
 * invocation) connects after it and keeps receiving.
 */
import { WebSocket } from 'undici';
import type { ComfyEvent, ComfyEventSource, ComfyEventStream } from '../../ports/comfy-events.js';
import { parseComfyFrame } from './ws-messages.js';

export interface WebSocketComfyEventsOptions {
  clientId: string;
  /** @default 1000 */
  reconnectMs?: number;
  onError?: (server: string, error: string) => void;
  /** Longest wait for the server to confirm a close. @default 1000 */
  closeWaitMs?: number;
}

const wsUrlOf = (server: string, clientId: string) =>
  `${server.replace(/^http/, 'ws').replace(/\/+$/, '')}/ws?clientId=${encodeURIComponent(clientId)}`;

export class WebSocketComfyEvents implements ComfyEventSource {
  constructor(private readonly o: WebSocketComfyEventsOptions) {}

  watch(server: string, onEvent: (event: ComfyEvent) => void): ComfyEventStream {
    let closed = false;
    let socket: WebSocket | undefined;
    let timer: NodeJS.Timeout | undefined;
    const open = () => {
      if (closed) return;
      const ws = new WebSocket(wsUrlOf(server, this.o.clientId));
      socket = ws;
      ws.addEventListener('message', (m) => {
        if (typeof m.data !== 'string') return; // binary: previews
        const event = parseComfyFrame(m.data);
        if (event) onEvent(event);
      });
      ws.addEventListener('error', () => this.o.onError?.(server, 'WebSocket error'));
      ws.addEventListener('close', () => {
        if (closed || socket !== ws) return;
        timer = setTimeout(open, this.o.reconnectMs ?? 1000);
        timer.unref();
      });
    };
    open();
    const closeWaitMs = this.o.closeWaitMs ?? 1000;
    return {
      close() {
        closed = true;
        if (timer) clearTimeout(timer);
        const ws = socket;
        if (!ws || ws.readyState === WebSocket.CLOSED) return Promise.resolve();
        return new Promise<void>((resolve) => {
          const gaveUp = setTimeout(resolve, closeWaitMs);
          gaveUp.unref();
          ws.addEventListener('close', () => {
            clearTimeout(gaveUp);
            resolve();
          });
          try {
            ws.close();
          } catch {
            clearTimeout(gaveUp);
            resolve();
          }
        });
      },
    };
  }
}
