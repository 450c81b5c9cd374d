/**
 * A small multipart/form-data parser for POST /upload/image, reading header parameters the way aiohttp
 * does (quoted strings with backslash escapes, e.g. `filename="a \"b\".png"`), which the WHATWG
 * parser behind `Request.formData()` does not.
 */
export interface Part {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

/** Parameters of a header value: `form-data; name="x"; filename="y"` -> { name, filename }. */
function headerParams(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /;\s*([^=;\s]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  for (let m = re.exec(value); m; m = re.exec(value)) {
    const key = (m[1] ?? '').toLowerCase();
    out[key] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '').trim();
  }
  return out;
}

/** The parts of a multipart body, or undefined when the content type or body is not multipart. */
export function parseMultipart(contentType: string | undefined, body: Buffer): Part[] | undefined {
  if (!contentType?.toLowerCase().startsWith('multipart/form-data')) return undefined;
  const boundary = headerParams(contentType).boundary;
  if (!boundary) return undefined;
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Part[] = [];
  let pos = body.indexOf(delimiter);
  if (pos < 0) return undefined;
  for (;;) {
    pos += delimiter.length;
    if (body.subarray(pos, pos + 2).toString() === '--') break;
    pos += 2; // CRLF after the delimiter
    const headerEnd = body.indexOf('\r\n\r\n', pos);
    if (headerEnd < 0) return undefined;
    const headers = new Map<string, string>();
    for (const line of body.subarray(pos, headerEnd).toString('utf8').split('\r\n')) {
      const i = line.indexOf(':');
      if (i > 0) headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
    }
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4);
    if (next < 0) return undefined;
    const disposition = headerParams(headers.get('content-disposition') ?? '');
    const part: Part = { name: disposition.name ?? '', data: body.subarray(headerEnd + 4, next) };
    if (disposition.filename !== undefined) part.filename = disposition.filename;
    const type = headers.get('content-type');
    if (type) part.contentType = type;
    parts.push(part);
    pos = next + 2;
  }
  return parts;
}
