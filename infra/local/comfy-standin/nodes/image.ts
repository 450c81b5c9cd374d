/** Image nodes: EmptyImage, LoadImage, ImageInvert, ImageBlur, ImageScale(By), ImageBatch, masks. */
import { readFileSync } from 'node:fs';
import {
  checkAllocation,
  decodePng,
  type Img,
  invert,
  patternImage,
  resize,
  solidImage,
} from '../png.js';
import { sha256 } from '../storage.js';
import { type Mask, type NodeFn, NodeRuntimeError } from './types.js';

const images = (v: unknown): Img[] => v as Img[];
const int = (v: unknown): number => Number(v);

export const imageNodes: Record<string, NodeFn> = {
  async EmptyImage(i, ctx) {
    await ctx.work();
    const color = int(i.color ?? 0);
    const rgb: [number, number, number] = [(color >> 16) & 0xff, (color >> 8) & 0xff, color & 0xff];
    checkAllocation(int(i.width), int(i.height), int(i.batch_size ?? 1));
    const batch = Array.from({ length: int(i.batch_size ?? 1) }, () =>
      solidImage(int(i.width), int(i.height), rgb),
    );
    return { outputs: [batch] };
  },

  async LoadImage(i, ctx) {
    await ctx.work();
    const path = ctx.storage.annotatedPath(String(i.image));
    if (!path) throw new NodeRuntimeError(`Invalid image file: ${i.image}`, 'FileNotFoundError');
    const bytes = readFileSync(path);
    // pngjs reads PNG only: other formats become a deterministic 64x64 picture of their hash.
    const img = decodePng(bytes) ?? patternImage(64, 64, sha256(bytes));
    const mask: Mask = { width: img.width, height: img.height, value: 0 };
    return { outputs: [[{ ...img, alpha: false }], mask] };
  },

  async ImageInvert(i, ctx) {
    await ctx.work();
    return { outputs: [images(i.image).map(invert)] };
  },

  /** Pixels pass through unchanged; the time is the point (the harness's "slow node"). */
  async ImageBlur(i, ctx) {
    await ctx.work();
    return { outputs: [images(i.image)] };
  },

  async ImageScale(i, ctx) {
    await ctx.work();
    const w = int(i.width);
    const h = int(i.height);
    return {
      outputs: [
        images(i.image).map((img) =>
          resize(
            img,
            w === 0 ? Math.round((img.width * h) / img.height) : w,
            h === 0 ? Math.round((img.height * w) / img.width) : h,
          ),
        ),
      ],
    };
  },

  async ImageScaleBy(i, ctx) {
    await ctx.work();
    const s = Number(i.scale_by);
    return {
      outputs: [
        images(i.image).map((img) =>
          resize(
            img,
            Math.max(1, Math.round(img.width * s)),
            Math.max(1, Math.round(img.height * s)),
          ),
        ),
      ],
    };
  },

  async ImageBatch(i, ctx) {
    await ctx.work();
    const a = images(i.image1);
    const b = images(i.image2);
    const first = a[0];
    const second = b[0];
    if (first && second && first.alpha !== second.alpha) {
      const [ca, cb] = [first.alpha ? 4 : 3, second.alpha ? 4 : 3];
      throw new NodeRuntimeError(
        `Sizes of tensors must match except in dimension 0. Expected size ${ca} but got size ${cb} for tensor number 1 in the list.`,
      );
    }
    const sized = first ? b.map((img) => resize(img, first.width, first.height)) : b;
    return { outputs: [[...a, ...sized]] };
  },

  async SolidMask(i, ctx) {
    await ctx.work();
    const mask: Mask = { width: int(i.width), height: int(i.height), value: Number(i.value) };
    return { outputs: [mask] };
  },

  async JoinImageWithAlpha(i, ctx) {
    await ctx.work();
    const mask = i.alpha as Mask;
    const out = images(i.image).map((img) => {
      const data = Buffer.from(img.data);
      const a = Math.round((1 - mask.value) * 255);
      for (let p = 3; p < data.length; p += 4) data[p] = a;
      return { ...img, alpha: true, data };
    });
    return { outputs: [out] };
  },
};
