/**
 * Workflows a hostile tenant sends to a shared ComfyUI, each with the refusal the workflow policy
 * must give at submit (code and the input path it names). Used by the unit tests of the policy and
 * by the attack suite through the HTTP API.
 */
import type { ComfyWorkflow } from '../../shared/domain/task.js';

const VICTIM_TASK = '2f1d7a0e-5b6c-4d3e-8f9a-0b1c2d3e4f50';

/** A realistic text-to-image graph; attacks add or change nodes of it. */
export const baseWorkflow = (): ComfyWorkflow => ({
  '4': {
    class_type: 'CheckpointLoaderSimple',
    inputs: { ckpt_name: 'random_sd15_small.safetensors' },
  },
  '5': { class_type: 'EmptyLatentImage', inputs: { width: 512, height: 512, batch_size: 1 } },
  '6': { class_type: 'CLIPTextEncode', inputs: { text: 'a cat', clip: ['4', 1] } },
  '7': { class_type: 'CLIPTextEncode', inputs: { text: '', clip: ['4', 1] } },
  '3': {
    class_type: 'KSampler',
    inputs: {
      seed: 1,
      steps: 20,
      cfg: 7,
      sampler_name: 'euler',
      scheduler: 'normal',
      denoise: 1,
      model: ['4', 0],
      positive: ['6', 0],
      negative: ['7', 0],
      latent_image: ['5', 0],
    },
  },
  '8': { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 2] } },
  '9': { class_type: 'SaveImage', inputs: { images: ['8', 0], filename_prefix: 'txt2img' } },
});

/** img2img reading `image` through LoadImage (the first attack family). */
const readImage = (image: string, classType = 'LoadImage'): ComfyWorkflow => ({
  '10': { class_type: classType, inputs: { image } },
  '11': { class_type: 'SaveImage', inputs: { images: ['10', 0], filename_prefix: 'copy' } },
});

const withNode = (id: string, node: ComfyWorkflow[string]): ComfyWorkflow => ({
  ...baseWorkflow(),
  [id]: node,
});
const withInput = (id: string, name: string, value: unknown): ComfyWorkflow => {
  const wf = baseWorkflow();
  const node = wf[id];
  if (node) node.inputs[name] = value;
  return wf;
};

export interface WorkflowAttack {
  name: string;
  workflow: ComfyWorkflow;
  code: 'WORKFLOW_POLICY_VIOLATION' | 'WORKFLOW_LIMIT_EXCEEDED' | 'INVALID_UPLOAD_REFERENCE';
  /** The path the refusal names first (without the leading `workflow`). */
  path: (string | number)[];
  /** For limits: which one. */
  limit?: string;
}

export const WORKFLOW_ATTACKS: readonly WorkflowAttack[] = [
  // Cross-tenant reads.
  ...[
    `${VICTIM_TASK}/txt2img_00001_.png [output]`,
    `${VICTIM_TASK}/txt2img_00001_.png[output]`,
    `${VICTIM_TASK}/txt2img_00001_.png [OUTPUT]`,
    'ComfyUI_00001_.png [temp]',
    'staged_upload.png [input]',
    'staged_upload.png',
    `../output/${VICTIM_TASK}/txt2img_00001_.png`,
    `/opt/comfyui/output/${VICTIM_TASK}/txt2img_00001_.png`,
    '/etc/passwd',
    `..\\output\\${VICTIM_TASK}\\txt2img_00001_.png`,
    'C:\\ComfyUI\\output\\x.png',
    'https://attacker.example/x.png',
  ].map(
    (image): WorkflowAttack => ({
      name: `LoadImage ${JSON.stringify(image)}`,
      workflow: readImage(image),
      code: 'WORKFLOW_POLICY_VIOLATION',
      path: ['10', 'inputs', 'image'],
    }),
  ),
  {
    name: 'LoadImage with a malformed upload reference',
    workflow: readImage('upload:../../x'),
    code: 'INVALID_UPLOAD_REFERENCE',
    path: ['10', 'inputs', 'image'],
  },
  {
    name: 'LoadImageMask of another task output',
    workflow: readImage(`${VICTIM_TASK}/txt2img_00001_.png [output]`, 'LoadImageMask'),
    code: 'WORKFLOW_POLICY_VIOLATION',
    path: ['10', 'inputs', 'image'],
  },
  {
    name: 'LoadImageOutput (reads the output folder by name)',
    workflow: readImage(`${VICTIM_TASK}/txt2img_00001_.png [output]`, 'LoadImageOutput'),
    code: 'WORKFLOW_POLICY_VIOLATION',
    path: ['10', 'class_type'],
  },
  {
    name: 'LoadImageOutput even with an upload reference',
    workflow: readImage('upload:0b7c4a52-4f0e-4b7a-9d0a-1c2b3d4e5f60', 'LoadImageOutput'),
    code: 'WORKFLOW_POLICY_VIOLATION',
    path: ['10', 'class_type'],
  },
  ...(
    [
      ['LoadVideo', 'file'],
      ['LoadAudio', 'audio'],
      ['LoadLatent', 'latent'],
      ['Load3D', 'model_file'],
      ['SomeCustomLoader', 'image_path'],
      ['SomeCustomLoader', 'video'],
    ] as const
  ).map(
    ([cls, input]): WorkflowAttack => ({
      name: `${cls}.${input} with a literal name`,
      workflow: withNode('20', { class_type: cls, inputs: { [input]: `${VICTIM_TASK}/a.mp4` } }),
      code: 'WORKFLOW_POLICY_VIOLATION',
      path: ['20', 'inputs', input],
    }),
  ),
  {
    name: 'Preview3D reporting another tenant file as its output',
    workflow: withNode('20', {
      class_type: 'Preview3D',
      inputs: { model_file: `${VICTIM_TASK}/mesh.glb`, camera_info: ['5', 0] },
    }),
    code: 'WORKFLOW_POLICY_VIOLATION',
    path: ['20', 'class_type'],
  },
  {
    name: 'folder loader',
    workflow: withNode('20', {
      class_type: 'LoadImageSetFromFolderNode',
      inputs: { folder: 'output', resize_method: 'None' },
    }),
    code: 'WORKFLOW_POLICY_VIOLATION',
    path: ['20', 'class_type'],
  },
  {
    name: 'custom URL fetcher',
    workflow: withNode('20', {
      class_type: 'LoadImageFromUrl',
      inputs: { url: 'http://169.254.169.254/latest/meta-data/' },
    }),
    code: 'WORKFLOW_POLICY_VIOLATION',
    path: ['20', 'class_type'],
  },
  {
    name: 'custom path loader',
    workflow: withNode('20', {
      class_type: 'VHS_LoadImagesPath',
      inputs: { directory: '/opt/comfyui/output' },
    }),
    code: 'WORKFLOW_POLICY_VIOLATION',
    path: ['20', 'class_type'],
  },
  // Model planting.
  {
    name: 'TrainLoraNode',
    workflow: withNode('20', {
      class_type: 'TrainLoraNode',
      inputs: { model: ['4', 0], latents: ['5', 0], positive: ['6', 0], steps: 10 },
    }),
    code: 'WORKFLOW_POLICY_VIOLATION',
    path: ['20', 'class_type'],
  },
  ...['SaveLoRANode', 'LoraSave', 'CheckpointSave', 'ModelSave', 'VAESave', 'CLIPSave'].map(
    (cls): WorkflowAttack => ({
      name: `${cls} into a model folder`,
      workflow: withNode('20', {
        class_type: cls,
        inputs: { lora: ['4', 0], prefix: 'loras/x', filename_prefix: 'loras/x' },
      }),
      code: 'WORKFLOW_POLICY_VIOLATION',
      path: ['20', 'class_type'],
    }),
  ),
  ...[
    '../loras/x',
    '/opt/comfyui/models/loras/x',
    '..\\loras\\x',
    '%CLIPTextEncode.text%',
    '%date:yyyy%/../../loras/x',
    'x [output]',
  ].map(
    (prefix): WorkflowAttack => ({
      name: `SaveImage filename_prefix ${JSON.stringify(prefix)}`,
      workflow: withInput('9', 'filename_prefix', prefix),
      code: 'WORKFLOW_POLICY_VIOLATION',
      path: ['9', 'inputs', 'filename_prefix'],
    }),
  ),
  {
    name: 'a custom saver with output_path',
    workflow: withNode('20', {
      class_type: 'Image Save',
      inputs: { images: ['8', 0], output_path: '/opt/comfyui/models/loras' },
    }),
    code: 'WORKFLOW_POLICY_VIOLATION',
    path: ['20', 'inputs', 'output_path'],
  },
  // Model names are names, not paths.
  ...[
    '../../output/x.safetensors',
    '/opt/comfyui/output/loras/x.safetensors',
    'loras\\x.safetensors',
    'x.safetensors [output]',
  ].map(
    (name): WorkflowAttack => ({
      name: `ckpt_name ${JSON.stringify(name)}`,
      workflow: withInput('4', 'ckpt_name', name),
      code: 'WORKFLOW_POLICY_VIOLATION',
      path: ['4', 'inputs', 'ckpt_name'],
    }),
  ),
  {
    name: 'LoraLoader lora_name with a path',
    workflow: withNode('20', {
      class_type: 'LoraLoader',
      inputs: {
        model: ['4', 0],
        clip: ['4', 1],
        lora_name: '../../output/loras/x.safetensors',
        strength_model: 1,
        strength_clip: 1,
      },
    }),
    code: 'WORKFLOW_POLICY_VIOLATION',
    path: ['20', 'inputs', 'lora_name'],
  },
  // GPU hogging.
  {
    name: 'KSampler steps 10000',
    workflow: withInput('3', 'steps', 10000),
    code: 'WORKFLOW_LIMIT_EXCEEDED',
    path: ['3', 'inputs', 'steps'],
    limit: 'steps',
  },
  {
    name: 'EmptyLatentImage 16384x16384x4096',
    workflow: withNode('5', {
      class_type: 'EmptyLatentImage',
      inputs: { width: 16384, height: 16384, batch_size: 4096 },
    }),
    code: 'WORKFLOW_LIMIT_EXCEEDED',
    path: ['5', 'inputs', 'batch_size'],
    limit: 'batch',
  },
  {
    name: 'EmptyLatentImage 16384x16384',
    workflow: withNode('5', {
      class_type: 'EmptyLatentImage',
      inputs: { width: 16384, height: 16384, batch_size: 1 },
    }),
    code: 'WORKFLOW_LIMIT_EXCEEDED',
    path: ['5', 'inputs', 'width'],
    limit: 'pixels',
  },
  {
    name: 'steps through a PrimitiveInt',
    workflow: {
      ...withInput('3', 'steps', ['30', 0]),
      '30': { class_type: 'PrimitiveInt', inputs: { value: 100000 } },
    },
    code: 'WORKFLOW_LIMIT_EXCEEDED',
    path: ['3', 'inputs', 'steps'],
    limit: 'steps',
  },
  {
    name: 'width from a node known only at run time',
    workflow: {
      ...withInput('5', 'width', ['31', 0]),
      '31': { class_type: 'SomeMathNode', inputs: { a: 100000, b: 100000 } },
    },
    code: 'WORKFLOW_LIMIT_EXCEEDED',
    path: ['5', 'inputs', 'width'],
    limit: 'pixels',
  },
  {
    name: 'video of 100000 frames',
    workflow: withNode('20', {
      class_type: 'EmptyHunyuanLatentVideo',
      inputs: { width: 64, height: 64, length: 100000, batch_size: 1 },
    }),
    code: 'WORKFLOW_LIMIT_EXCEEDED',
    path: ['20', 'inputs', 'length'],
    limit: 'frames',
  },
  {
    name: 'RepeatLatentBatch amount 4096',
    workflow: withNode('20', {
      class_type: 'RepeatLatentBatch',
      inputs: { samples: ['5', 0], amount: 4096 },
    }),
    code: 'WORKFLOW_LIMIT_EXCEEDED',
    path: ['20', 'inputs', 'amount'],
    limit: 'batch',
  },
  {
    name: 'ImageScaleBy 64x',
    workflow: withNode('20', {
      class_type: 'ImageScaleBy',
      inputs: { image: ['8', 0], upscale_method: 'nearest-exact', scale_by: 64 },
    }),
    code: 'WORKFLOW_LIMIT_EXCEEDED',
    path: ['20', 'inputs', 'scale_by'],
    limit: 'upscale',
  },
  {
    name: 'ImageScaleToTotalPixels 1000 megapixels',
    workflow: withNode('20', {
      class_type: 'ImageScaleToTotalPixels',
      inputs: { image: ['8', 0], upscale_method: 'nearest-exact', megapixels: 1000 },
    }),
    code: 'WORKFLOW_LIMIT_EXCEEDED',
    path: ['20', 'inputs', 'megapixels'],
    limit: 'pixels',
  },
  {
    name: '300 nodes',
    workflow: Object.fromEntries(
      Array.from({ length: 300 }, (_, i) => [
        String(i + 1),
        { class_type: 'EmptyLatentImage', inputs: { width: 8, height: 8, batch_size: 1 } },
      ]),
    ),
    code: 'WORKFLOW_LIMIT_EXCEEDED',
    path: [],
    limit: 'nodes',
  },
];
