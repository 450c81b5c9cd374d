/**
 * The content type an output is stored with: ComfyUI's `/view` Content-Type when it says something
 * specific, else one from the extension. Types a browser would run (HTML, JavaScript, SVG, XML) are
 * stored as `application/octet-stream`, as newer ComfyUI does itself, so a presigned link to an
 * output can never serve active content from our bucket.
 */
const BY_EXTENSION: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  bmp: 'image/bmp',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  avif: 'image/avif',
  exr: 'image/x-exr',
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  webm: 'video/webm',
  mov: 'video/quicktime',
  mkv: 'video/x-matroska',
  avi: 'video/x-msvideo',
  wav: 'audio/wav',
  mp3: 'audio/mpeg',
  flac: 'audio/flac',
  ogg: 'audio/ogg',
  opus: 'audio/opus',
  m4a: 'audio/mp4',
  aac: 'audio/aac',
  glb: 'model/gltf-binary',
  gltf: 'model/gltf+json',
  obj: 'model/obj',
  stl: 'model/stl',
  ply: 'application/octet-stream',
  json: 'application/json',
  txt: 'text/plain; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  safetensors: 'application/octet-stream',
  latent: 'application/octet-stream',
  zip: 'application/zip',
};

const GENERIC = 'application/octet-stream';
const ACTIVE_RE =
  /^(text\/html|application\/(x-)?javascript|text\/javascript|image\/svg|application\/xhtml|text\/xml|application\/xml)/i;

export function contentTypeFor(filename: string, reported?: string): string {
  const fromComfy = reported?.trim();
  if (fromComfy && ACTIVE_RE.test(fromComfy)) return GENERIC;
  if (fromComfy && !/^application\/octet-stream\b/i.test(fromComfy)) return fromComfy;
  const ext = filename.slice(filename.lastIndexOf('.') + 1).toLowerCase();
  return (filename.includes('.') && BY_EXTENSION[ext]) || GENERIC;
}
