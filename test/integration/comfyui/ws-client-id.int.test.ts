/**
 * ComfyUI's WebSocket keeps one socket per client id, the last to connect, and forgets the id when
 * any socket with it closes, even an older one a newer socket replaced. The poller's sockets follow
 * from that: a new watcher connects only after the previous one's close() resolved, and then
 * receives the prompts of that client id. Against the stand-in always (it must behave the same), and
 * against a real ComfyUI when COMFYUI_URL points at one.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ComfyStandIn, startComfyStandIn } from '../../../infra/local/comfy-standin/index.js';
import { HttpComfyClient } from '../../../shared/adapters/comfyui/http-comfy-client.js';
import { WebSocketComfyEvents } from '../../../shared/adapters/comfyui/ws-event-source.js';
import type { ComfyEvent, ComfyEventStream } from '../../../shared/ports/comfy-events.js';
import { emptyToSave } from './workflows.js';

async function until(what: string, ok: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function watcher(server: string, clientId: string) {
  const events: ComfyEvent[] = [];
  const stream: ComfyEventStream = new WebSocketComfyEvents({ clientId }).watch(server, (e) =>
    events.push(e),
  );
  // ComfyUI greets every new socket with a status message.
  const connected = () => until('the socket to connect', () => events.length > 0);
  const finished = (promptId: string) =>
    events.some((e) => e.type === 'execution_success' && e.promptId === promptId);
  return { events, stream, connected, finished };
}

function suite(name: string, server: () => string) {
  describe(name, () => {
    let comfy: HttpComfyClient;
    beforeAll(() => {
      comfy = HttpComfyClient.create({ baseUrl: server(), connections: 2 });
    });
    afterAll(async () => {
      await comfy?.close();
    });
    const run = async (clientId: string) => {
      const promptId = randomUUID();
      await comfy.submitPrompt({
        promptId,
        clientId,
        workflow: emptyToSave(`ws-${promptId.slice(0, 8)}`, Math.floor(Math.random() * 1e6), 8),
      });
      return promptId;
    };

    it('sends nothing to a newer socket once an older one with its id closed', async () => {
      const clientId = `ws-test-${randomUUID().slice(0, 8)}`;
      const older = watcher(server(), clientId);
      await older.connected();
      const newer = watcher(server(), clientId);
      await newer.connected();
      await older.stream.close();
      const promptId = await run(clientId);
      // The prompt runs (its history says so), but the newer socket hears nothing of it.
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && !(await comfy.getHistory(promptId))) {
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 500));
      expect(newer.finished(promptId)).toBe(false);
      await newer.stream.close();
    }, 60_000);

    it('delivers the prompts of a client id to the next watcher, opened once the last closed', async () => {
      const clientId = `ws-test-${randomUUID().slice(0, 8)}`;
      const first = watcher(server(), clientId);
      await first.connected();
      const one = await run(clientId);
      await until('the first prompt on the first socket', () => first.finished(one));
      await first.stream.close();
      const next = watcher(server(), clientId);
      await next.connected();
      const two = await run(clientId);
      await until('the second prompt on the next socket', () => next.finished(two));
      expect(first.finished(two)).toBe(false);
      await next.stream.close();
    }, 60_000);
  });
}

let standIn: ComfyStandIn;
beforeAll(async () => {
  standIn = await startComfyStandIn({ executionMs: 100 });
});
afterAll(async () => {
  await standIn?.stop();
});
suite('ComfyUI client ids on the WebSocket (stand-in)', () => standIn.url);
const real = process.env.COMFYUI_URL;
if (real) suite('ComfyUI client ids on the WebSocket (real ComfyUI at COMFYUI_URL)', () => real);
