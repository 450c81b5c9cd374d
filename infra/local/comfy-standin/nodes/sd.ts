/**
 * The txt2img / img2img nodes, without a model: CheckpointLoaderSimple, CLIPTextEncode,
 * EmptyLatentImage, KSampler(Advanced), VAEEncode, VAEDecode, LatentUpscale(By). KSampler "denoises"
 * into a seed derived from every input (model, seed, steps, cfg, sampler, prompts, ...), so the
 * same workflow gives the same picture; VAEDecode turns that into a smooth picture of the latent's
 * size, mixed with the source picture for img2img (denoise < 1).
 */
import { blend, checkAllocation, type Img, patternImage, resize } from '../png.js';
import type { Latent, NodeFn } from './types.js';

const latents = (v: unknown): Latent[] => v as Latent[];

async function sample(i: Record<string, unknown>, seedKey: string, ctx: Parameters<NodeFn>[1]) {
  const steps = Math.max(1, Math.min(100, Number(i.steps ?? 1)));
  await ctx.work(steps);
  const denoise = i.denoise === undefined ? 1 : Number(i.denoise);
  const out = latents(i.latent_image).map((l, n) => ({
    width: l.width,
    height: l.height,
    seed: `${ctx.signature}:${String(i[seedKey])}:${n}`,
    ...(l.source ? { source: l.source } : {}),
    noise: l.source ? Math.min(1, Math.max(0, denoise)) : 1,
  }));
  return { outputs: [out] };
}

export const sdNodes: Record<string, NodeFn> = {
  async CheckpointLoaderSimple(i, ctx) {
    await ctx.work();
    const name = String(i.ckpt_name);
    return { outputs: [{ model: name }, { clip: name }, { vae: name }] };
  },

  async CLIPTextEncode(i, ctx) {
    await ctx.work();
    return { outputs: [{ conditioning: String(i.text) }] };
  },

  async EmptyLatentImage(i, ctx) {
    await ctx.work();
    // The decoded batch is what would take the memory: refuse it here, as ComfyUI's allocator would.
    checkAllocation(Number(i.width), Number(i.height), Number(i.batch_size ?? 1));
    const l: Latent = { width: Number(i.width), height: Number(i.height), seed: '', noise: 1 };
    return { outputs: [Array.from({ length: Number(i.batch_size ?? 1) }, () => ({ ...l }))] };
  },

  KSampler: (i, ctx) => sample(i, 'seed', ctx),
  KSamplerAdvanced: (i, ctx) => sample(i, 'noise_seed', ctx),

  async VAEEncode(i, ctx) {
    await ctx.work();
    const out = (i.pixels as Img[]).map(
      (img): Latent => ({ width: img.width, height: img.height, seed: '', source: img, noise: 0 }),
    );
    return { outputs: [out] };
  },

  async VAEDecode(i, ctx) {
    await ctx.work();
    const out = latents(i.samples).map((l) => {
      const w = Math.max(8, Math.floor(l.width / 8) * 8);
      const h = Math.max(8, Math.floor(l.height / 8) * 8);
      const pattern = patternImage(w, h, l.seed || ctx.signature);
      if (!l.source) return pattern;
      return l.noise <= 0
        ? resize(l.source, w, h)
        : blend(resize(l.source, w, h), pattern, l.noise);
    });
    return { outputs: [out] };
  },

  async LatentUpscale(i, ctx) {
    await ctx.work();
    const w = Number(i.width);
    const h = Number(i.height);
    return {
      outputs: [
        latents(i.samples).map((l) => ({ ...l, width: w || l.width, height: h || l.height })),
      ],
    };
  },

  async LatentUpscaleBy(i, ctx) {
    await ctx.work();
    const s = Number(i.scale_by);
    return {
      outputs: [
        latents(i.samples).map((l) => ({
          ...l,
          width: Math.round(l.width * s),
          height: Math.round(l.height * s),
        })),
      ],
    };
  },
};
