/**
 * A streamed multipart/form-data body for POST /upload/image: text fields, then the file part named
 * `image`. The file bytes are passed through, never concatenated into one buffer.
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';

export interface MultipartFile {
  field: string;
  filename: string;
  contentType: string;
  body: Readable | Uint8Array;
  size?: number;
}

const quote = (s: string) =>
  s
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/[\r\n]/g, ' ');

export function multipartBody(fields: Record<string, string>, file: MultipartFile) {
  const boundary = `----comfy-serverless-${randomBytes(12).toString('hex')}`;
  let head = '';
  for (const [name, value] of Object.entries(fields)) {
    head += `--${boundary}\r\nContent-Disposition: form-data; name="${quote(name)}"\r\n\r\n${value}\r\n`;
  }
  head +=
    `--${boundary}\r\nContent-Disposition: form-data; name="${quote(file.field)}"; ` +
    `filename="${quote(file.filename)}"\r\nContent-Type: ${file.contentType}\r\n\r\n`;
  const headBuf = Buffer.from(head, 'utf8');
  const tailBuf = Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8');
  const fileSize = file.body instanceof Uint8Array ? file.body.byteLength : file.size;
  const length =
    fileSize === undefined ? undefined : headBuf.byteLength + fileSize + tailBuf.byteLength;
  async function* generate() {
    yield headBuf;
    if (file.body instanceof Uint8Array) yield file.body;
    else for await (const chunk of file.body) yield chunk as Uint8Array;
    yield tailBuf;
  }
  return { contentType: `multipart/form-data; boundary=${boundary}`, length, body: generate() };
}
