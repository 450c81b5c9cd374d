/** Workflows the contract tests send; every node here exists in a stock ComfyUI v0.3.64 and in the stand-in. */
import type { ComfyWorkflow } from '../../../shared/domain/task.js';

export const emptyToSave = (prefix: string, color: number, size = 64): ComfyWorkflow => ({
  '1': { class_type: 'EmptyImage', inputs: { width: size, height: size, batch_size: 1, color } },
  '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: prefix } },
});

/** Three ImageBlur nodes on 512x512: about 13 s on the CPU harness, `nodeTimeMs.ImageBlur` x 3 on the stand-in. */
export const slow = (color: number): ComfyWorkflow => ({
  '1': { class_type: 'EmptyImage', inputs: { width: 512, height: 512, batch_size: 1, color } },
  '10': { class_type: 'ImageBlur', inputs: { image: ['1', 0], blur_radius: 15, sigma: 5.0 } },
  '11': { class_type: 'ImageBlur', inputs: { image: ['10', 0], blur_radius: 15, sigma: 5.0 } },
  '12': { class_type: 'ImageBlur', inputs: { image: ['11', 0], blur_radius: 15, sigma: 5.0 } },
  '99': { class_type: 'PreviewImage', inputs: { images: ['12', 0] } },
});

/** Passes validation, fails at runtime in ImageBatch (RGB + RGBA). */
export const runtimeError = (size: number): ComfyWorkflow => ({
  '1': {
    class_type: 'EmptyImage',
    inputs: { width: size, height: size, batch_size: 1, color: 55 },
  },
  '2': { class_type: 'SolidMask', inputs: { value: 1.0, width: size, height: size } },
  '3': { class_type: 'JoinImageWithAlpha', inputs: { image: ['1', 0], alpha: ['2', 0] } },
  '4': { class_type: 'ImageBatch', inputs: { image1: ['1', 0], image2: ['3', 0] } },
  '5': { class_type: 'PreviewImage', inputs: { images: ['4', 0] } },
});

export const invertUpload = (image: string, prefix: string): ComfyWorkflow => ({
  '1': { class_type: 'LoadImage', inputs: { image } },
  '2': { class_type: 'ImageInvert', inputs: { image: ['1', 0] } },
  '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: prefix } },
});

export const txt2img = (ckpt: string, seed: number, prefix: string): ComfyWorkflow => ({
  '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: ckpt } },
  '6': { class_type: 'CLIPTextEncode', inputs: { text: 'a red fox', clip: ['4', 1] } },
  '7': { class_type: 'CLIPTextEncode', inputs: { text: 'blurry', clip: ['4', 1] } },
  '5': { class_type: 'EmptyLatentImage', inputs: { width: 64, height: 64, batch_size: 1 } },
  '3': {
    class_type: 'KSampler',
    inputs: {
      model: ['4', 0],
      seed,
      steps: 1,
      cfg: 7,
      sampler_name: 'euler',
      scheduler: 'normal',
      positive: ['6', 0],
      negative: ['7', 0],
      latent_image: ['5', 0],
      denoise: 1,
    },
  },
  '8': { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 2] } },
  '9': { class_type: 'SaveImage', inputs: { images: ['8', 0], filename_prefix: prefix } },
});

/** A chain of many small nodes: ComfyUI checks for an interrupt between nodes, so a cancel stops it soon. */
export const longChain = (color: number): ComfyWorkflow => {
  const wf: ComfyWorkflow = {
    '1': { class_type: 'EmptyImage', inputs: { width: 16, height: 16, batch_size: 1, color } },
  };
  for (let i = 2; i <= 12; i++) {
    wf[String(i)] = { class_type: 'ImageInvert', inputs: { image: [String(i - 1), 0] } };
  }
  wf['13'] = { class_type: 'SaveImage', inputs: { images: ['12', 0], filename_prefix: 'long' } };
  return wf;
};
