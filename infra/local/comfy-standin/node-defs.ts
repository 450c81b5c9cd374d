/**
 * The node classes the stand-in knows, as `/object_info` describes them. The definitions are copied
 * from a real ComfyUI v0.3.64 (`object-info.json`, a subset of its `/object_info` response);
 * the combo lists that depend on files (checkpoints, input images) are filled in when asked.
 * `StandInLargeOutput` is ours: an output node that "writes" a large file generated on the fly.
 */
import { readFileSync } from 'node:fs';

type InputSpec = [unknown, Record<string, unknown>?] | [unknown];
export interface NodeDef {
  input: {
    required?: Record<string, InputSpec>;
    optional?: Record<string, InputSpec>;
    hidden?: Record<string, unknown>;
  };
  input_order?: Record<string, string[]>;
  output: string[];
  output_is_list: boolean[];
  output_name: string[];
  name: string;
  display_name: string | null;
  description: string;
  python_module: string;
  category: string;
  output_node: boolean;
  [k: string]: unknown;
}

const BASE: Record<string, NodeDef> = JSON.parse(
  readFileSync(new URL('./object-info.json', import.meta.url), 'utf8'),
);

BASE.StandInLargeOutput = {
  input: {
    required: {
      size_bytes: ['INT', { default: 1048576, min: 1, max: 2 ** 40 }],
      filename_prefix: ['STRING', { default: 'large' }],
    },
    optional: {
      ui_key: ['STRING', { default: 'files' }],
      extension: ['STRING', { default: 'bin' }],
    },
  },
  input_order: { required: ['size_bytes', 'filename_prefix'], optional: ['ui_key', 'extension'] },
  output: [],
  output_is_list: [],
  output_name: [],
  name: 'StandInLargeOutput',
  display_name: 'Large Output (stand-in)',
  description:
    'Stand-in only: an output file of size_bytes, generated on the fly when /view reads it.',
  python_module: 'comfy_standin',
  category: 'stand-in',
  output_node: true,
};

/** Definitions with the file-dependent combo lists filled in. */
export function nodeDefs(files: {
  checkpoints: string[];
  inputs: string[];
}): Record<string, NodeDef> {
  const defs: Record<string, NodeDef> = structuredClone(BASE);
  const ckpt = defs.CheckpointLoaderSimple?.input.required?.ckpt_name;
  if (ckpt) ckpt[0] = [...files.checkpoints];
  const image = defs.LoadImage?.input.required?.image;
  if (image) image[0] = [...files.inputs];
  return defs;
}
