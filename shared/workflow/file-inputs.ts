/**
 * Which workflow inputs name files on the ComfyUI server, and what values they may hold.
 *
 * ComfyUI resolves a file-reading input (`LoadImage.image`, ...) against its input, output and temp
 * folders, and follows annotations (`"x.png [output]"`), `..` and absolute paths, so a literal name
 * could read another tenant's files. Here such inputs accept only `upload:<id>`: the dispatcher
 * stages the caller's own upload and writes its server name in. Model-name inputs accept names,
 * never paths. Inputs that name a place to write (`filename_prefix`) are confined to the task's
 * folder at dispatch; here they refuse what could escape it after ComfyUI expands them.
 */
import { parseUploadRef } from './upload-refs.js';

/** File-reading inputs of ComfyUI's own nodes (v0.3.64 `/object_info`: `*_upload` flags and file lists). */
const FILE_READ_INPUTS: Readonly<Record<string, readonly string[]>> = {
  LoadImage: ['image'],
  LoadImageMask: ['image'],
  LoadImageOutput: ['image'],
  LoadAudio: ['audio'],
  LoadVideo: ['file'],
  LoadLatent: ['latent'],
  Load3D: ['model_file'],
  Load3DAnimation: ['model_file'],
  Preview3D: ['model_file'],
  Preview3DAnimation: ['model_file'],
};

/**
 * Input names that read a file (or fetch one) on any node, custom nodes included, when the value is
 * a literal string rather than a link.
 */
const FILE_READ_NAMES = new Set([
  'image',
  'mask',
  'video',
  'audio',
  'file',
  'latent',
  'model_file',
  'image_path',
  'video_path',
  'audio_path',
  'file_path',
  'filepath',
  'input_path',
  'path',
  'directory',
  'folder',
  'input_dir',
  'url',
  'image_url',
  'video_url',
  'audio_url',
  'file_url',
]);

/** Input names that choose where a node writes. */
const WRITE_NAMES = new Set(['filename_prefix']);
/** Input names that name a server folder or file to write to: never accepted. */
const WRITE_PATH_NAMES = new Set([
  'output_path',
  'output_dir',
  'output_folder',
  'save_path',
  'save_dir',
  'output_file',
]);

/** Model-file inputs: `ckpt_name`, `lora_name`, `clip_name2`, `model_path`, ... */
const MODEL_NAME_RE =
  /(^|_)(ckpt|vae|lora|clip|unet|control_net|style_model|gligen|hypernetwork|model|photomaker_model|audio_encoder|config|upscale_model)_?name\d*$|^model_path$/;

/** ComfyUI's folder annotations: `"name.png [output]"` reads from the output folder. */
const ANNOTATION_RE = /\s*\[(output|input|temp)\]\s*$/i;

type InputKind = 'file' | 'model' | 'write' | 'write-path' | 'other';

/** What the input `name` of a node of `classType` names. */
function inputKind(classType: string, name: string): InputKind {
  if (FILE_READ_INPUTS[classType]?.includes(name)) return 'file';
  if (WRITE_NAMES.has(name)) return 'write';
  if (WRITE_PATH_NAMES.has(name)) return 'write-path';
  if (MODEL_NAME_RE.test(name)) return 'model';
  if (FILE_READ_NAMES.has(name)) return 'file';
  return 'other';
}

/** Why a path-like string is refused, or undefined when it is a plain relative name. */
function pathProblem(value: string): string | undefined {
  if (ANNOTATION_RE.test(value)) return 'a ComfyUI folder annotation ([output], [input], [temp])';
  if (value.includes('\\')) return 'a backslash';
  if (/^(\/|~|[A-Za-z]:)/.test(value)) return 'an absolute path';
  if (value.split('/').some((s) => s === '..' || s === '.')) return 'a ".." or "." path segment';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we refuse
  if (/[\u0000-\u001f\u007f]/.test(value)) return 'a control character';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return 'a URL';
  return undefined;
}

/**
 * The problem with `value` in the input `name` of a node of `classType`, or undefined when allowed.
 * Links (arrays) and non-strings are left to ComfyUI's own type checks.
 */
export function inputValueProblem(
  classType: string,
  name: string,
  value: unknown,
): string | undefined {
  if (typeof value !== 'string') return undefined;
  const kind = inputKind(classType, name);
  const isRef = parseUploadRef(value) !== undefined;
  switch (kind) {
    case 'file':
      return isRef
        ? undefined
        : 'reads a file on the server: only "upload:<uploadId>" of one of your uploads is accepted';
    case 'model': {
      if (isRef) return 'names a model: an upload is not a model';
      const problem = pathProblem(value);
      return problem ? `names a model: a model name, not a path (found ${problem})` : undefined;
    }
    case 'write': {
      if (isRef) return 'names where to write: an upload reference makes no sense here';
      const problem = pathProblem(value);
      if (problem)
        return `names where to write: a plain name inside the task's folder (found ${problem})`;
      if (value.includes('%')) {
        return 'names where to write: "%" expansions (%date:...%, %node.input%) are not accepted';
      }
      return undefined;
    }
    case 'write-path':
      return "names a server folder or file to write to: outputs go to the task's own folder only";
    case 'other':
      if (ANNOTATION_RE.test(value) && !value.includes('\n')) {
        return 'a ComfyUI folder annotation ([output], [input], [temp]) names a server file';
      }
      return undefined;
  }
}
