/**
 * Output nodes: SaveImage (output folder, `filename_prefix` with subfolders and counters, a `prompt`
 * tEXt chunk like the real one), PreviewImage (temp folder, `ComfyUI_temp_xxxxx` prefix) and
 * StandInLargeOutput (a file of any size generated on the fly, under any ui key).
 */
import { join } from 'node:path';
import { encodePng, type Img } from '../png.js';
import { sha256, virtualSha256 } from '../storage.js';
import type { ExecContext, NodeFn } from './types.js';

async function saveImages(
  images: Img[],
  prefix: string,
  type: 'output' | 'temp',
  ctx: ExecContext,
  level: number,
) {
  const first = images[0];
  const { folder, base, counter, subfolder } = ctx.storage.savePath(
    prefix,
    type,
    first?.width ?? 0,
    first?.height ?? 0,
  );
  const text: Record<string, string> = { prompt: JSON.stringify(ctx.prompt) };
  const pnginfo = ctx.extraData.extra_pnginfo;
  if (pnginfo && typeof pnginfo === 'object') {
    for (const [k, v] of Object.entries(pnginfo)) text[k] = JSON.stringify(v);
  }
  const results: { filename: string; subfolder: string; type: string }[] = [];
  let n = counter;
  for (const [batch, img] of images.entries()) {
    const filename = `${base.replaceAll('%batch_num%', String(batch))}_${String(n).padStart(5, '0')}_.png`;
    const bytes = encodePng(img, text, level);
    const path = join(folder, filename);
    await ctx.storage.write(path, bytes);
    ctx.wrote({ filename, subfolder, type, path, size: bytes.length, sha256: sha256(bytes) });
    results.push({ filename, subfolder, type });
    n++;
  }
  return results;
}

const TEMP_LETTERS = 'abcdefghijklmnopqrstupvxyz';

export const saveNodes: Record<string, NodeFn> = {
  async SaveImage(i, ctx) {
    await ctx.work();
    const images = await saveImages(
      i.images as Img[],
      String(i.filename_prefix ?? 'ComfyUI'),
      'output',
      ctx,
      4,
    );
    return { outputs: [], ui: { images } };
  },

  async PreviewImage(i, ctx) {
    await ctx.work();
    let suffix = '';
    for (let k = 0; k < 5; k++)
      suffix += TEMP_LETTERS[Math.floor(Math.random() * TEMP_LETTERS.length)];
    const images = await saveImages(i.images as Img[], `ComfyUI_temp_${suffix}`, 'temp', ctx, 1);
    return { outputs: [], ui: { images } };
  },

  async StandInLargeOutput(i, ctx) {
    await ctx.work();
    const size = Number(i.size_bytes);
    const key = typeof i.ui_key === 'string' && i.ui_key ? i.ui_key : 'files';
    const ext = typeof i.extension === 'string' && i.extension ? i.extension : 'bin';
    const { folder, base, counter, subfolder } = ctx.storage.savePath(
      String(i.filename_prefix ?? 'large'),
      'output',
      0,
      0,
    );
    const filename = `${base}_${String(counter).padStart(5, '0')}_.${ext}`;
    const path = join(folder, filename);
    const file = { size, seed: `${ctx.promptId}:${ctx.nodeId}:${path}` };
    ctx.storage.addVirtual(path, file);
    ctx.wrote({
      filename,
      subfolder,
      type: 'output',
      path,
      size,
      sha256: await virtualSha256(file),
    });
    return { outputs: [], ui: { [key]: [{ filename, subfolder, type: 'output' }] } };
  },
};
