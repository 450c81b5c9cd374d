/** Response helpers that answer the way aiohttp does in ComfyUI (headers, empty bodies, 404/500 text). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pyJson } from './py-json.js';

export class HttpError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

/** `web.json_response`: Python-style JSON, `application/json; charset=utf-8`. */
export function sendJson(res: ServerResponse, value: unknown, status = 200): void {
  const body = Buffer.from(pyJson(value), 'utf8');
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': body.length,
  });
  res.end(body);
}

/** `web.Response(status=N)`: an empty body typed application/octet-stream. */
export function sendEmpty(res: ServerResponse, status = 200): void {
  res.writeHead(status, { 'Content-Type': 'application/octet-stream', 'Content-Length': 0 });
  res.end();
}

export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  type = 'text/plain; charset=utf-8',
): void {
  const body = Buffer.from(text, 'utf8');
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': body.length });
  res.end(body);
}

export const sendNotFound = (res: ServerResponse) => sendText(res, 404, '404: Not Found');
/** aiohttp's answer to an unhandled exception (e.g. malformed JSON on POST /prompt). */
export const sendServerError = (res: ServerResponse) =>
  sendText(res, 500, '500 Internal Server Error\n\nServer got itself in trouble');

/** The request body, at most `limit` bytes (ComfyUI's --max-upload-size gives 413 beyond it). */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new HttpError(413);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** `await request.json()`: malformed JSON is an unhandled exception (500). */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const text = (await readBody(req, limit)).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(500);
  }
}

const MIME: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  mp4: 'video/mp4',
  webm: 'video/webm',
  mov: 'video/quicktime',
  wav: 'audio/x-wav',
  mp3: 'audio/mpeg',
  flac: 'audio/flac',
  ogg: 'audio/ogg',
  glb: 'model/gltf-binary',
  json: 'application/json',
  txt: 'text/plain',
  latent: 'application/octet-stream',
};

/** `mimetypes.guess_type`, with html/js/css forced to octet-stream as ComfyUI does. */
export function contentTypeFor(filename: string): string {
  const ext = filename.slice(filename.lastIndexOf('.') + 1).toLowerCase();
  return MIME[ext] ?? 'application/octet-stream';
}

/** A single `Range: bytes=` header -> inclusive [start, end], 'unsatisfiable', or undefined (whole). */
export function parseRange(
  header: string | undefined,
  size: number,
): [number, number] | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return undefined;
  const [, a, b] = m;
  if (a === '' && b === '') return undefined;
  let start: number;
  let end: number;
  if (a === '') {
    start = Math.max(0, size - Number(b));
    end = size - 1;
  } else {
    start = Number(a);
    end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return [start, end];
}
