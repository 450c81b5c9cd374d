/**
 * ComfyUI's HTTP routes (server.py of v0.3.64) over the stand-in's state. Every route is also served
 * under `/api` (the server strips it before calling `handleComfyRoute`).
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StandInCore } from './core.js';
import { deleteFiles, FILE_CLEANUP_PATH } from './file-cleanup.js';
import {
  contentTypeFor,
  HttpError,
  parseRange,
  readBody,
  readJson,
  sendEmpty,
  sendJson,
  sendNotFound,
  sendText,
} from './http-util.js';
import { parseMultipart } from './multipart.js';
import { pyStr } from './py-json.js';
import type { QueueItem, Workflow } from './state.js';
import { virtualStream } from './storage.js';

export interface RouteEnv {
  core: StandInCore;
  version: string;
  maxUploadBytes: number;
  argv: string[];
  /** Serve the file-cleanup extension's route (POST /comfy-serverless/delete). */
  fileCleanup: boolean;
  /** Injected fault: cut /view bodies after this many bytes. */
  truncateAfter?: number;
}

type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  env: RouteEnv,
  param?: string,
) => Promise<void> | void;

/** `GET /models` of ComfyUI v0.3.64, in its order (folder_paths.folder_names_and_paths). */
const MODEL_FOLDERS = [
  'checkpoints',
  'configs',
  'loras',
  'vae',
  'text_encoders',
  'diffusion_models',
  'clip_vision',
  'style_models',
  'embeddings',
  'diffusers',
  'vae_approx',
  'controlnet',
  'gligen',
  'upscale_models',
  'custom_nodes',
  'hypernetworks',
  'photomaker',
  'classifiers',
  'model_patches',
  'audio_encoders',
];

const isObject = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === 'object' && !Array.isArray(v);

const routes: Record<string, Handler> = {
  'GET /': (_q, res) =>
    sendText(res, 200, '<!doctype html><title>ComfyUI (stand-in)</title>', 'text/html'),
  'GET /system_stats': (_q, res, _u, env) => {
    const total = 24 * 1024 ** 3;
    const free = 20 * 1024 ** 3;
    sendJson(res, {
      system: {
        os: 'posix',
        ram_total: total,
        ram_free: free,
        comfyui_version: env.version,
        required_frontend_version: '1.27.10',
        installed_templates_version: null,
        required_templates_version: '0.1.95',
        python_version: '3.11.2 (comfy-standin)',
        pytorch_version: 'none (comfy-standin)',
        embedded_python: false,
        argv: env.argv,
      },
      devices: [
        {
          name: 'cpu',
          type: 'cpu',
          index: null,
          vram_total: total,
          vram_free: free,
          torch_vram_total: total,
          torch_vram_free: free,
        },
      ],
    });
  },
  'GET /features': (_q, res, _u, env) =>
    sendJson(res, { supports_preview_metadata: true, max_upload_size: env.maxUploadBytes }),
  'GET /prompt': (_q, res, _u, { core }) =>
    sendJson(res, { exec_info: { queue_remaining: core.heap.size + (core.running ? 1 : 0) } }),
  'POST /prompt': async (req, res, _u, env) => {
    const { core } = env;
    const body = await readJson(req, env.maxUploadBytes);
    if (!isObject(body)) throw new HttpError(500);
    const number = core.nextNumber(body);
    if (!('prompt' in body)) {
      const error = {
        type: 'no_prompt',
        message: 'No prompt provided',
        details: 'No prompt provided',
        extra_info: {},
      };
      return sendJson(res, { error, node_errors: {} }, 400);
    }
    if (!isObject(body.prompt)) throw new HttpError(500);
    const prompt = body.prompt as Workflow;
    const promptId = 'prompt_id' in body ? pyStr(body.prompt_id) : randomUUID();
    const targets = Array.isArray(body.partial_execution_targets)
      ? body.partial_execution_targets.map(String)
      : undefined;
    const valid = core.validate(prompt, targets);
    const extra: Record<string, unknown> = isObject(body.extra_data) ? { ...body.extra_data } : {};
    if ('client_id' in body) extra.client_id = body.client_id;
    if (!valid.ok) return sendJson(res, { error: valid.error, node_errors: valid.nodeErrors }, 400);
    const item: QueueItem = [number, promptId, prompt, extra, valid.outputs];
    core.enqueue(item);
    sendJson(res, { prompt_id: promptId, number, node_errors: valid.nodeErrors });
  },
  'GET /queue': (_q, res, _u, { core }) =>
    sendJson(res, {
      queue_running: core.running ? [core.running] : [],
      queue_pending: [...core.heap.items],
    }),
  'POST /queue': async (req, res, _u, env) => {
    const body = await readJson(req, env.maxUploadBytes);
    if (!isObject(body)) throw new HttpError(500);
    if (body.clear) env.core.heap.clear();
    if (Array.isArray(body.delete))
      for (const id of body.delete) env.core.heap.deleteFirst(String(id));
    sendEmpty(res);
  },
  'POST /interrupt': async (req, res, _u, env) => {
    const text = (await readBody(req, env.maxUploadBytes)).toString('utf8');
    let body: unknown = {};
    try {
      body = JSON.parse(text);
    } catch {
      body = {};
    }
    if (!isObject(body)) throw new HttpError(500);
    if (body.prompt_id) env.core.interrupt(String(body.prompt_id));
    else env.core.interrupt();
    sendEmpty(res);
  },
  'GET /history': (_q, res, url, { core }) => {
    const max = url.searchParams.get('max_items');
    const offset = url.searchParams.get('offset');
    const toInt = (v: string) => {
      if (!/^\s*[-+]?\d+\s*$/.test(v)) throw new HttpError(500);
      return Number.parseInt(v, 10);
    };
    sendJson(
      res,
      core.history.list(
        max === null ? undefined : toInt(max),
        offset === null ? -1 : toInt(offset),
      ),
    );
  },
  'GET /history/:id': (_q, res, _u, { core }, id = '') => {
    const entry = core.history.get(id);
    sendJson(res, entry ? { [id]: entry } : {});
  },
  'POST /history': async (req, res, _u, env) => {
    const body = await readJson(req, env.maxUploadBytes);
    if (!isObject(body)) throw new HttpError(500);
    if (body.clear) env.core.history.clear();
    if (Array.isArray(body.delete))
      for (const id of body.delete) env.core.history.delete(String(id));
    sendEmpty(res);
  },
  'GET /view': (req, res, url, env) => view(req, res, url, env),
  'HEAD /view': (req, res, url, env) => view(req, res, url, env),
  'POST /upload/image': async (req, res, _u, env) => {
    const raw = await readBody(req, env.maxUploadBytes);
    const parts = parseMultipart(req.headers['content-type'], raw);
    if (!parts) return sendEmpty(res, 400);
    const field = (name: string) =>
      parts.find((p) => p.name === name && p.filename === undefined)?.data.toString('utf8');
    const image = parts.find((p) => p.name === 'image' && p.filename !== undefined);
    if (!image?.filename) return sendEmpty(res, 400);
    const type = field('type') || 'input';
    if (!env.core.storage.dirFor(type)) throw new HttpError(500);
    const subfolder = field('subfolder') ?? '';
    const overwrite = ['true', '1'].includes(field('overwrite') ?? '');
    const saved = await env.core.storage.saveUpload(
      type,
      subfolder,
      image.filename,
      image.data,
      overwrite,
    );
    if ('status' in saved) return sendEmpty(res, saved.status);
    sendJson(res, { name: saved.name, subfolder, type });
  },
  'GET /object_info': (_q, res, _u, { core }) => sendJson(res, core.defs()),
  'GET /object_info/:id': (_q, res, _u, { core }, cls = '') => {
    const def = core.defs()[cls];
    sendJson(res, def ? { [cls]: def } : {});
  },
  'GET /embeddings': (_q, res) => sendJson(res, []),
  'GET /extensions': (_q, res) => sendJson(res, []),
  'GET /models': (_q, res) => sendJson(res, MODEL_FOLDERS),
  'GET /models/:id': (_q, res, _u, { core }, folder = '') => {
    if (folder === 'checkpoints') return sendJson(res, core.options.checkpoints);
    if (MODEL_FOLDERS.includes(folder)) return sendJson(res, []);
    sendNotFound(res);
  },
  'POST /free': (_q, res) => sendEmpty(res),
  [`POST ${FILE_CLEANUP_PATH}`]: async (req, res, _u, env) => {
    // Without the extension, ComfyUI's static route answers a POST here with 405.
    if (!env.fileCleanup) return sendText(res, 405, '405: Method Not Allowed');
    let body: unknown;
    try {
      body = await readJson(req, env.maxUploadBytes);
    } catch (err) {
      if (err instanceof HttpError && err.status === 500)
        return sendJson(res, { error: 'the body must be JSON' }, 400);
      throw err;
    }
    const [status, answer] = deleteFiles(env.core.storage, body);
    sendJson(res, answer, status);
  },
};

/** Route `method path` (path already without `/api`); false when no route matched. */
export async function handleComfyRoute(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  path: string,
  env: RouteEnv,
) {
  const method = req.method ?? 'GET';
  const exact = routes[`${method} ${path}`];
  if (exact) {
    await exact(req, res, url, env);
    return true;
  }
  const m = /^(\/[^/]+(?:\/[^/]+)?)\/([^/]+)$/.exec(path);
  if (m) {
    const [, base, param] = m;
    const withParam = routes[`${method} ${base}/:id`];
    if (withParam) {
      await withParam(req, res, url, env, decodeURIComponent(param ?? ''));
      return true;
    }
  }
  return false;
}

function view(req: IncomingMessage, res: ServerResponse, url: URL, env: RouteEnv) {
  const found = env.core.storage.resolveView(url.searchParams);
  if ('status' in found) return sendEmpty(res, found.status);
  const name = found.path.slice(found.path.lastIndexOf('/') + 1);
  const headers: Record<string, string | number> = {
    'Content-Disposition': `filename="${name}"`,
    'Content-Type': contentTypeFor(name),
    'Accept-Ranges': 'bytes',
  };
  if (!found.virtual) headers['Last-Modified'] = statSync(found.path).mtime.toUTCString();
  const range = parseRange(req.headers.range, found.size);
  if (range === 'unsatisfiable') {
    res.writeHead(416, { 'Content-Range': `bytes */${found.size}`, 'Content-Length': 0 });
    return void res.end();
  }
  const [start, end] = range ?? [0, found.size - 1];
  headers['Content-Length'] = Math.max(0, end - start + 1);
  if (range) headers['Content-Range'] = `bytes ${start}-${end}/${found.size}`;
  res.writeHead(range ? 206 : 200, headers);
  if (req.method === 'HEAD' || found.size === 0) return void res.end();
  const body = found.virtual
    ? virtualStream(found.virtual, start, end)
    : createReadStream(found.path, { start, end });
  body.on('error', () => res.destroy());
  res.on('close', () => body.destroy());
  if (env.truncateAfter === undefined) return void body.pipe(res);
  // Injected fault: send the first bytes, then cut the connection mid-body.
  const after = env.truncateAfter;
  let sent = 0;
  const cut = () => {
    body.destroy();
    res.socket?.destroy();
  };
  body.on('data', (chunk: Buffer) => {
    const part = chunk.subarray(0, Math.max(0, after - sent));
    sent += part.length;
    if (sent >= after) res.write(part, cut);
    else res.write(part);
  });
  body.on('end', () => res.write('', cut));
}
