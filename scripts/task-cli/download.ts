/**
 * Downloads a finished task's outputs from their presigned S3 links into a folder, streamed to
 * disk, checking each file's size against what the API reported.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { OutputView } from '../../shared/http/schemas.js';

/** Local file names: the output's own name, prefixed with its node id when two share a name. */
export function localNames(outputs: readonly OutputView[]): string[] {
  const safe = outputs.map(
    (o) => basename(o.filename.replace(/\\/g, '/')).replace(/^\.+/, '_') || 'output',
  );
  return safe.map((name, i) =>
    safe.indexOf(name) !== safe.lastIndexOf(name) ? `${outputs[i]?.nodeId}-${name}` : name,
  );
}

export async function downloadOutputs(
  outputs: readonly OutputView[],
  dir: string,
  onProgress: (files: number, bytes: number, totalBytes: number) => void,
): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const names = localNames(outputs);
  const totalBytes = outputs.reduce((n, o) => n + (o.size ?? 0), 0);
  let bytes = 0;
  const written: string[] = [];
  for (const [i, o] of outputs.entries()) {
    const res = await fetch(o.url);
    if (!res.ok || !res.body)
      throw new Error(`download of ${o.filename} failed: HTTP ${res.status}`);
    const path = join(dir, names[i] as string);
    let size = 0;
    const count = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        bytes += chunk.length;
        onProgress(i, bytes, totalBytes);
        cb(null, chunk);
      },
    });
    await pipeline(
      Readable.fromWeb(res.body as import('node:stream/web').ReadableStream),
      count,
      createWriteStream(path),
    );
    if (o.size !== undefined && size !== o.size) {
      throw new Error(`${o.filename}: got ${size} bytes, the API said ${o.size}`);
    }
    written.push(path);
    onProgress(i + 1, bytes, totalBytes);
  }
  return written;
}
