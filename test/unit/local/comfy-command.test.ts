/** The local fleet's real-ComfyUI servers: a command started in its own process group, stopped or killed. */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../../infra/local/emulators.js';
import { expandCommand, startComfyCommand } from '../../../infra/local/fleet/comfy-command.js';

/** A stand-in for a ComfyUI process: node answering /system_stats and /queue on {port}. */
const server = (queue: string) =>
  `Q='${queue}' exec node -e "require('http').createServer((q,s)=>{s.setHeader('content-type','application/json');s.end(q.url==='/queue'?process.env.Q:'{}')}).listen({port},'127.0.0.1')"`;

describe('expandCommand', () => {
  it('fills in every {port} and {slot}', () => {
    expect(expandCommand('main.py --port {port} --cuda-device {slot} # {port}', 8190, 1)).toBe(
      'main.py --port 8190 --cuda-device 1 # 8190',
    );
  });
});

describe('startComfyCommand', () => {
  /** `command` on a free port of 127.0.0.1, slot 0. */
  const start = async (command: string, bootTimeoutMs?: number) =>
    startComfyCommand({
      command,
      host: '127.0.0.1',
      port: await freePort(),
      slot: 0,
      ...(bootTimeoutMs ? { bootTimeoutMs } : {}),
    });

  it('is up once the server answers, counts its prompts, and stops it', async () => {
    const p = await start(server('{"queue_running":[[0,"a"]],"queue_pending":[[1,"b"],[2,"c"]]}'));
    expect(p.url).toBe(`http://127.0.0.1:${p.port}`);
    expect(await p.inFlight()).toBe(3);
    await p.stop();
    await expect(fetch(`${p.url}/system_stats`)).rejects.toThrow();
    expect(await p.inFlight()).toBe(0);
  });

  it('kills a server at once', async () => {
    const p = await start(server('{"queue_running":[],"queue_pending":[]}'));
    await p.kill();
    await expect(fetch(`${p.url}/system_stats`)).rejects.toThrow();
  });

  it('says why when the command exits before the server answers', async () => {
    await expect(start('echo "no such checkpoint folder" >&2; exit 3')).rejects.toThrow(
      /exited \(code 3\).*no such checkpoint folder/,
    );
  });

  it('gives up on a server that never answers, and leaves no process behind', async () => {
    await expect(start('sleep 31.25', 600)).rejects.toThrow(/did not answer .* within 600 ms/);
    const left = readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map((d) => {
        try {
          return readFileSync(`/proc/${d}/cmdline`, 'utf8');
        } catch {
          return '';
        }
      });
    expect(left.filter((c) => c.includes('31.25'))).toEqual([]);
  });
});
