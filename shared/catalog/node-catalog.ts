/**
 * The node catalogue: what each ComfyUI server can run, as its own `/object_info` and `/models` say
 * (node classes, their inputs with types, ranges and options, model names per folder). The VPC side
 * (the poller) publishes it; the API functions read it to refuse, at submit, a workflow the server
 * would refuse at dispatch. It is kept compact: only what validation and `GET /v1/models` need.
 *
 * Options of inputs that name files on the server's disk (image/video/audio/3D upload combos, and any
 * combo listing the input folder's files) are never kept: they would tell one tenant another's file
 * names. Such inputs are marked `file`, and only the workflow policy's rules apply to them.
 */

/** One input of a node class. */
export interface CatalogInput {
  /** `INT`, `FLOAT`, `STRING`, `BOOLEAN`, `COMBO` (a choice) or a link type (`MODEL`, `IMAGE`, ...). */
  type: string;
  min?: number;
  max?: number;
  /** A combo's choices (absent for `file` inputs). */
  options?: (string | number)[];
  /** The value names a file on the server's disk (upload combos): choices not published. */
  file?: true;
}

export interface CatalogNode {
  required: Record<string, CatalogInput>;
  optional: Record<string, CatalogInput>;
  /** Output types, by slot. */
  output: string[];
  outputNode: boolean;
}

/** One server's catalogue. */
export interface ServerCatalog {
  /** The server's base URL (as the pool names it). */
  server: string;
  /** When it was read from the server (ISO 8601). */
  readAt: string;
  nodes: Record<string, CatalogNode>;
  /** Model file names by folder (`checkpoints`, `loras`, ...). */
  models: Record<string, string[]>;
}

/** What the poller publishes: every server of the pool. */
export interface NodeCatalog {
  version: 1;
  publishedAt: string;
  servers: ServerCatalog[];
}

/** Combo flags that mark an input naming an uploaded or server-side file. */
const FILE_FLAGS = ['image_upload', 'video_upload', 'audio_upload', 'file_upload', 'image_folder'];
/** `/models` folders that hold no models (code and configuration). */
const NOT_MODEL_FOLDERS = new Set(['custom_nodes', 'configs']);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function isOptionList(v: unknown): v is (string | number)[] {
  return Array.isArray(v) && v.every((o) => typeof o === 'string' || typeof o === 'number');
}

/** One `[type, options]` input spec of `/object_info`, V1 (`[[choices], {...}]`) or V3 (`["COMBO", {options}]`). */
function compactInput(spec: unknown, inputFiles: ReadonlySet<string>): CatalogInput | undefined {
  if (!Array.isArray(spec) || spec.length === 0) return undefined;
  const [type, rawOpts] = spec as [unknown, unknown];
  const opts = isObject(rawOpts) ? rawOpts : {};
  let options: (string | number)[] | undefined;
  let typeName: string;
  if (Array.isArray(type)) {
    typeName = 'COMBO';
    options = isOptionList(type) ? type : [];
  } else if (typeof type === 'string') {
    typeName = type;
    if (type === 'COMBO') options = isOptionList(opts.options) ? opts.options : [];
  } else {
    return undefined;
  }
  const input: CatalogInput = { type: typeName };
  if (typeof opts.min === 'number') input.min = opts.min;
  if (typeof opts.max === 'number') input.max = opts.max;
  if (options !== undefined) {
    const names = FILE_FLAGS.some((f) => opts[f] !== undefined && opts[f] !== false) || opts.remote;
    const listsInputFiles = options.some((o) => typeof o === 'string' && inputFiles.has(o));
    if (names || listsInputFiles) input.file = true;
    else input.options = options;
  }
  return input;
}

/** The input folder's files, as LoadImage lists them (to recognise other combos listing them). */
function inputFileNames(objectInfo: Record<string, unknown>): Set<string> {
  const load = objectInfo.LoadImage;
  const spec =
    isObject(load) && isObject(load.input) && isObject(load.input.required)
      ? load.input.required.image
      : undefined;
  const list = Array.isArray(spec) ? spec[0] : undefined;
  return new Set(isOptionList(list) ? list.map(String) : []);
}

function compactInputs(section: unknown, files: ReadonlySet<string>) {
  const out: Record<string, CatalogInput> = {};
  if (!isObject(section)) return out;
  for (const [name, spec] of Object.entries(section)) {
    const input = compactInput(spec, files);
    if (input) out[name] = input;
  }
  return out;
}

/** A server's catalogue from its `/object_info` and model lists. */
export function compactCatalog(
  server: string,
  objectInfo: Record<string, unknown>,
  models: Record<string, string[]>,
  readAt: string,
): ServerCatalog {
  const files = inputFileNames(objectInfo);
  const nodes: Record<string, CatalogNode> = {};
  for (const [name, info] of Object.entries(objectInfo)) {
    if (!isObject(info)) continue;
    const input = isObject(info.input) ? info.input : {};
    nodes[name] = {
      required: compactInputs(input.required, files),
      optional: compactInputs(input.optional, files),
      output: Array.isArray(info.output) ? info.output.map((t) => String(t)) : [],
      outputNode: info.output_node === true,
    };
  }
  const kept: Record<string, string[]> = {};
  for (const [folder, names] of Object.entries(models)) {
    if (!NOT_MODEL_FOLDERS.has(folder)) kept[folder] = [...names];
  }
  return { server, readAt, nodes, models: kept };
}

/** Model names per folder across the pool: a name counts when every server has it. */
export function modelsOf(catalog: NodeCatalog): Record<string, string[]> {
  const [first, ...rest] = catalog.servers;
  if (!first) return {};
  const out: Record<string, string[]> = {};
  for (const [folder, names] of Object.entries(first.models)) {
    out[folder] = names.filter((n) => rest.every((s) => s.models[folder]?.includes(n)));
  }
  return out;
}

/** Input names of the core loaders, for a model folder that is empty (no list to compare with). */
const MODEL_INPUT_FOLDERS: Readonly<Record<string, string>> = {
  ckpt_name: 'checkpoints',
  lora_name: 'loras',
  vae_name: 'vae',
  control_net_name: 'controlnet',
  unet_name: 'diffusion_models',
  style_model_name: 'style_models',
  upscale_model_name: 'upscale_models',
  gligen_name: 'gligen',
  hypernetwork_name: 'hypernetworks',
};

/** The folder a combo's choices come from, when they are one folder's model list. */
export function modelFolderOf(
  server: ServerCatalog,
  inputName: string,
  input: CatalogInput,
): string | undefined {
  const options = input.options;
  if (!options) return undefined;
  if (options.length === 0) {
    const folder = MODEL_INPUT_FOLDERS[inputName];
    return folder !== undefined && server.models[folder] ? folder : undefined;
  }
  for (const [folder, names] of Object.entries(server.models)) {
    if (names.length === options.length && options.every((o) => names.includes(String(o))))
      return folder;
  }
  return undefined;
}
