import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  isListening,
  type SpawnedRuntime,
  spawnLocalRuntime,
} from '../../helpers/local-runtime.js';

/** npm start with COMFYUI_URL: a minimal server answering GET /system_stats stands for ComfyUI. */
describe('npm start: start-up, port clashes and Ctrl-C', () => {
  let comfy: Server;
  let comfyUrl: string;
  let rt: SpawnedRuntime;
  beforeAll(async () => {
    comfy = createServer((_req, res) => res.end('{}'));
    await new Promise<void>((r) => comfy.listen(0, '127.0.0.1', r));
    comfyUrl = `http://127.0.0.1:${(comfy.address() as AddressInfo).port}`;
    rt = await spawnLocalRuntime({ args: ['--comfyui-url', comfyUrl] });
  }, 90_000);
  afterAll(async () => {
    await rt?.signal('SIGKILL');
    await new Promise((r) => comfy.close(r));
  });

  it('prints where everything listens, the API key and the quickstart, and writes the key file', () => {
    const out = rt.output();
    expect(out).toContain(`API            ${rt.apiUrl}`);
    expect(out).toContain(`DynamoDB Local http://127.0.0.1:${rt.ports.dynamodb}`);
    expect(out).toContain(`S3 + SQS       http://127.0.0.1:${rt.ports.aws}`);
    expect(out).toContain(`ComfyUI        ${comfyUrl}`);
    expect(rt.apiKey()).toMatch(/^csk_[A-Za-z0-9_-]{16,}$/);
    expect(out).toContain(rt.apiKey());
    expect(out).toContain(`API=${rt.apiUrl}`);
  });

  it('answers like API Gateway: 404 for an unknown route', async () => {
    const res = await fetch(`${rt.apiUrl}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ message: 'Not Found' });
  });

  it('refuses to start a second instance on the same ports, naming the port and the flag', async () => {
    const second = await spawnLocalRuntime({
      args: ['--comfyui-url', comfyUrl],
      ports: { dynamodb: rt.ports.dynamodb },
    });
    expect((await second.exited).code).toBe(1);
    expect(second.output()).toContain(
      `port ${rt.ports.dynamodb} (DynamoDB Local) is already in use`,
    );
    expect(second.output()).toContain('--dynamodb-port');
    // The running one is unharmed.
    expect((await fetch(`${rt.apiUrl}/nope`)).status).toBe(404);
  }, 90_000);

  it('leaves nothing behind when Ctrl-C comes during start-up', async () => {
    const early = await spawnLocalRuntime({ args: ['--comfyui-url', comfyUrl], waitReady: false });
    // fauxqs listens early in start-up, while DynamoDB Local boots and the functions load.
    while (!(await isListening(early.ports.aws))) {
      expect(early.child.exitCode, early.output()).toBeNull();
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(early.output()).not.toContain('ready:');
    const exit = await early.signal('SIGINT');
    expect(exit, early.output()).toEqual({ code: 0, signal: null });
    expect(early.output()).toContain('stopped; nothing is left listening');
    for (const port of [early.ports.api, early.ports.dynamodb, early.ports.aws]) {
      expect(await isListening(port)).toBe(false);
    }
  }, 60_000);

  it('stops everything on Ctrl-C, prints no warning or error, and leaves nothing listening', async () => {
    const exit = await rt.signal('SIGINT');
    expect(exit, rt.output()).toEqual({ code: 0, signal: null });
    const afterStop = rt.output().slice(rt.output().indexOf('SIGINT: stopping'));
    expect(afterStop).toContain('stopped; nothing is left listening');
    expect(afterStop).not.toMatch(/WARN|ERROR/);
    for (const port of [rt.ports.api, rt.ports.dynamodb, rt.ports.aws]) {
      expect(await isListening(port)).toBe(false);
    }
  }, 30_000);
});
