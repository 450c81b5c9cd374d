/**
 * A minimal ComfyUI that reports whatever file names it is told to: `/history/{id}` lists the files of
 * a finished run under the given node ids (names with `..`, absolute paths, NUL, odd Unicode...),
 * `/view` serves each file's bytes by its exact (filename, subfolder, type), `/queue` is empty. Enough
 * for the real HttpComfyClient and the poller's copy; a stand-in for a compromised custom node.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HostileFile {
  nodeId: string;
  filename: string;
  subfolder: string;
  type: string;
  bytes: Buffer;
  /** Content-Type /view answers with. @default image/png */
  contentType?: string;
}

export interface HostileComfy {
  url: string;
  /** Files of the run reported for `promptId`. */
  setRun(promptId: string, files: HostileFile[]): void;
  /** /view requests that matched no file. */
  misses: number;
  close(): Promise<void>;
}

const fileKey = (f: { filename: string; subfolder: string; type: string }) =>
  JSON.stringify([f.filename, f.subfolder, f.type]);

export async function startHostileComfy(): Promise<HostileComfy> {
  const runs = new Map<string, HostileFile[]>();
  const files = new Map<string, HostileFile>();
  const state = { misses: 0 };
  const json = (res: import('node:http').ServerResponse, value: unknown) => {
    const body = JSON.stringify(value);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname.replace(/^\/api/, '');
    if (path === '/queue') return json(res, { queue_running: [], queue_pending: [] });
    if (path === '/system_stats')
      return json(res, { system: { comfyui_version: '0.3.64' }, devices: [] });
    const history = /^\/history\/(.+)$/.exec(path);
    if (history) {
      const id = decodeURIComponent(history[1] as string);
      const run = runs.get(id);
      if (!run) return json(res, {});
      const outputs: Record<string, { images: unknown[] }> = {};
      for (const f of run) {
        const node = outputs[f.nodeId] ?? { images: [] };
        node.images.push({ filename: f.filename, subfolder: f.subfolder, type: f.type });
        outputs[f.nodeId] = node;
      }
      const ts = Date.now();
      return json(res, {
        [id]: {
          prompt: [1, id, {}, {}, Object.keys(outputs)],
          outputs,
          status: {
            status_str: 'success',
            completed: true,
            messages: [
              ['execution_start', { prompt_id: id, timestamp: ts - 10 }],
              ['execution_success', { prompt_id: id, timestamp: ts }],
            ],
          },
          meta: {},
        },
      });
    }
    if (path === '/view') {
      const key = fileKey({
        filename: url.searchParams.get('filename') ?? '',
        subfolder: url.searchParams.get('subfolder') ?? '',
        type: url.searchParams.get('type') ?? 'output',
      });
      const f = files.get(key);
      if (!f) {
        state.misses++;
        res.writeHead(404);
        return res.end();
      }
      res.writeHead(200, {
        'content-type': f.contentType ?? 'image/png',
        'content-length': f.bytes.length,
      });
      return res.end(f.bytes);
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    setRun(promptId, list) {
      runs.set(promptId, list);
      for (const f of list) files.set(fileKey(f), f);
    },
    get misses() {
      return state.misses;
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
