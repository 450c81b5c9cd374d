/**
 * Images for the stand-in: RGBA pixels in memory, real PNG files on disk (pngjs), with a `prompt` tEXt
 * chunk like ComfyUI's SaveImage writes. Generated pictures are deterministic: smooth colour fields
 * seeded by a hash of the node's inputs, so the same workflow always gives the same pixels.
 */
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { PNG } from 'pngjs';

/** One image: RGBA bytes, row-major. `alpha` says whether the image "has" an alpha channel. */
export interface Img {
  width: number;
  height: number;
  alpha: boolean;
  data: Buffer;
}

/**
 * Most bytes of pixels one node may hold at once (all images of its batch). The stand-in runs
 * inside `npm start`: a workflow asking for a 16384×16384×4096 latent must fail its node the way
 * ComfyUI on a CPU does (`DefaultCPUAllocator: not enough memory`), not take the process down.
 */
const MAX_ALLOC_BYTES = 512 * 1024 * 1024;

/** Thrown before allocating more than MAX_ALLOC_BYTES; the stand-in reports it as the node's error. */
export class AllocationRefusedError extends Error {
  readonly exceptionType = 'RuntimeError';
  constructor(bytes: number) {
    super(
      `[enforce fail at alloc_cpu.cpp:121] data. DefaultCPUAllocator: not enough memory: you tried to allocate ${bytes} bytes.`,
    );
  }
}

/** Refuse a batch of `count` width×height RGBA images over MAX_ALLOC_BYTES (or not a real size). */
export function checkAllocation(width: number, height: number, count = 1): void {
  const bytes = width * height * 4 * count;
  if (!Number.isFinite(bytes) || bytes < 0 || bytes > MAX_ALLOC_BYTES) {
    throw new AllocationRefusedError(Number.isFinite(bytes) ? bytes : Number.MAX_SAFE_INTEGER);
  }
}

export function solidImage(width: number, height: number, rgb: [number, number, number]): Img {
  checkAllocation(width, height);
  const data = Buffer.alloc(width * height * 4);
  for (let i = 0; i < data.length; i += 4) {
    data[i] = rgb[0];
    data[i + 1] = rgb[1];
    data[i + 2] = rgb[2];
    data[i + 3] = 255;
  }
  return { width, height, alpha: false, data };
}

/** 32 bytes of seed material from any string. */
const seedBytes = (seed: string): Buffer => createHash('sha256').update(seed).digest();

/** A deterministic smooth picture of the requested size for `seed`. */
export function patternImage(width: number, height: number, seed: string): Img {
  const s = seedBytes(seed);
  const f = (i: number) => ((s[i] ?? 0) / 255) * 0.05 + 0.005;
  const p = (i: number) => ((s[i] ?? 0) / 255) * Math.PI * 2;
  checkAllocation(width, height);
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      data[o] = 128 + 127 * Math.sin(x * f(0) + y * f(1) + p(2));
      data[o + 1] = 128 + 127 * Math.sin(x * f(3) - y * f(4) + p(5));
      data[o + 2] = 128 + 127 * Math.sin((x + y) * f(6) + p(7));
      data[o + 3] = 255;
    }
  }
  return { width, height, alpha: false, data };
}

/** `a*(1-t) + b*t` per channel; images must have the same size. */
export function blend(a: Img, b: Img, t: number): Img {
  const data = Buffer.alloc(a.data.length);
  for (let i = 0; i < data.length; i++) {
    data[i] = Math.round((a.data[i] ?? 0) * (1 - t) + (b.data[i] ?? 0) * t);
  }
  return { width: a.width, height: a.height, alpha: a.alpha, data };
}

/** Nearest-neighbour resize (enough for a stand-in). */
export function resize(img: Img, width: number, height: number): Img {
  if (img.width === width && img.height === height) return img;
  checkAllocation(width, height);
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(img.height - 1, Math.floor((y * img.height) / height));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(img.width - 1, Math.floor((x * img.width) / width));
      img.data.copy(
        data,
        (y * width + x) * 4,
        (sy * img.width + sx) * 4,
        (sy * img.width + sx) * 4 + 4,
      );
    }
  }
  return { width, height, alpha: img.alpha, data };
}

export function invert(img: Img): Img {
  const data = Buffer.from(img.data);
  for (let i = 0; i < data.length; i += 4) {
    data[i] = 255 - (data[i] ?? 0);
    data[i + 1] = 255 - (data[i + 1] ?? 0);
    data[i + 2] = 255 - (data[i + 2] ?? 0);
  }
  return { ...img, data };
}

function textChunk(keyword: string, text: string): Buffer {
  const body = Buffer.concat([
    Buffer.from('tEXt', 'latin1'),
    Buffer.from(`${keyword}\0${text}`, 'latin1'),
  ]);
  const out = Buffer.alloc(body.length + 8);
  out.writeUInt32BE(body.length - 4, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body) >>> 0, body.length + 4);
  return out;
}

/** PNG bytes (RGB, or RGBA when the image has alpha), with tEXt chunks inserted after IHDR. */
export function encodePng(img: Img, text: Record<string, string> = {}, deflateLevel = 4): Buffer {
  const png = new PNG({ width: img.width, height: img.height });
  img.data.copy(png.data);
  const raw = PNG.sync.write(png, {
    colorType: img.alpha ? 6 : 2,
    inputColorType: 6,
    inputHasAlpha: true,
    deflateLevel,
  });
  const chunks = Object.entries(text).map(([k, v]) => textChunk(k, v));
  if (chunks.length === 0) return raw;
  const ihdrEnd = 8 + 8 + 13 + 4; // signature + IHDR (length, type, 13 bytes, crc)
  return Buffer.concat([raw.subarray(0, ihdrEnd), ...chunks, raw.subarray(ihdrEnd)]);
}

/** Decode a PNG; undefined when the bytes are not a PNG pngjs can read. */
export function decodePng(bytes: Buffer): Img | undefined {
  try {
    const png = PNG.sync.read(bytes);
    const alpha = png.alpha === true || png.colorType === 4 || png.colorType === 6;
    return { width: png.width, height: png.height, alpha, data: png.data };
  } catch {
    return undefined;
  }
}
