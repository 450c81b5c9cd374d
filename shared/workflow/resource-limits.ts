/**
 * Resource bounds of one workflow: what a tenant may ask the shared GPU for in one task. Checked at
 * submit on the literal values of the workflow; a bounded input fed by a link is followed through
 * ComfyUI's primitive nodes and refused when its value cannot be known before the run.
 */
import type { ComfyWorkflow } from '../domain/task.js';

export interface ResourceLimits {
  /** Most nodes in one workflow. */
  nodes: number;
  /** Most pixels one node may allocate: width × height × batch (ImageScaleToTotalPixels: megapixels). */
  pixels: number;
  /** Largest batch (`batch_size`, `amount` of the repeat nodes). */
  batch: number;
  /** Most sampler steps (`steps` of KSampler, schedulers, ...). */
  steps: number;
  /** Most video frames (`length`, `video_frames`, `frames`). */
  frames: number;
  /** Largest scale factor (`scale_by` of the upscale nodes). */
  upscale: number;
}
type LimitName = keyof ResourceLimits;

/** Deployment defaults: a 2048×2048 batch of 4 (or 16 at 1024²), 150 steps, 257 frames. */
export const DEFAULT_RESOURCE_LIMITS: Readonly<ResourceLimits> = Object.freeze({
  nodes: 200,
  pixels: 2048 * 2048 * 4,
  batch: 16,
  steps: 150,
  frames: 257,
  upscale: 4,
});

export interface LimitBreach {
  limit: LimitName;
  /** The limit's value for this owner. */
  max: number;
  /** What the workflow asks for (undefined: not knowable before the run). */
  value?: number;
  path: (string | number)[];
}

const STEPS = new Set(['steps']);
const FRAMES = new Set(['length', 'video_frames', 'frames', 'num_frames', 'frame_count']);
const BATCH = new Set(['batch_size', 'amount']);
const UPSCALE = new Set(['scale_by']);
/** Inputs whose value must be known to check a limit: every bounded name plus width/height. */
const BOUNDED = new Set([
  ...STEPS,
  ...FRAMES,
  ...BATCH,
  ...UPSCALE,
  'width',
  'height',
  'megapixels',
]);
/** Nodes that only pass a literal on: `PrimitiveInt` and friends (input `value`). */
const PRIMITIVES = new Set(['PrimitiveInt', 'PrimitiveFloat']);

/**
 * The literal number an input holds: a number, or a link to a primitive node holding one;
 * `undefined` for a link that cannot be resolved, `null` for anything else (not a number).
 */
function numberAt(workflow: ComfyWorkflow, value: unknown, depth = 0): number | undefined | null {
  if (typeof value === 'number') return value;
  if (Array.isArray(value) && value.length === 2 && depth < 8) {
    const source = workflow[String(value[0])];
    if (source && PRIMITIVES.has(source.class_type)) {
      return numberAt(workflow, source.inputs.value, depth + 1);
    }
    return undefined;
  }
  return null;
}

/** Every limit the workflow breaks (empty when none), in node order. */
export function limitBreaches(
  workflow: ComfyWorkflow,
  limits: ResourceLimits,
  base: (string | number)[] = ['workflow'],
): LimitBreach[] {
  const breaches: LimitBreach[] = [];
  const ids = Object.keys(workflow);
  if (ids.length > limits.nodes) {
    breaches.push({ limit: 'nodes', max: limits.nodes, value: ids.length, path: base });
  }
  for (const id of ids) {
    const node = workflow[id];
    if (!node) continue;
    const at = (name: string) => [...base, id, 'inputs', name];
    const values: Record<string, number> = {};
    for (const [name, raw] of Object.entries(node.inputs)) {
      if (!BOUNDED.has(name)) continue;
      const n = numberAt(workflow, raw);
      if (n === null) continue;
      const limit = limitFor(name);
      if (n === undefined) {
        if (limit) breaches.push({ limit, max: limits[limit], path: at(name) });
        else breaches.push({ limit: 'pixels', max: limits.pixels, path: at(name) });
        continue;
      }
      values[name] = n;
      if (limit && n > limits[limit]) {
        breaches.push({ limit, max: limits[limit], value: n, path: at(name) });
      }
    }
    const { width, height, megapixels } = values;
    if (width !== undefined && height !== undefined) {
      const pixels = width * height * Math.max(1, values.batch_size ?? 1);
      if (pixels > limits.pixels) {
        breaches.push({ limit: 'pixels', max: limits.pixels, value: pixels, path: at('width') });
      }
    }
    if (megapixels !== undefined && megapixels * 1024 * 1024 > limits.pixels) {
      const pixels = Math.round(megapixels * 1024 * 1024);
      breaches.push({ limit: 'pixels', max: limits.pixels, value: pixels, path: at('megapixels') });
    }
  }
  return breaches;
}

function limitFor(name: string): LimitName | undefined {
  if (STEPS.has(name)) return 'steps';
  if (FRAMES.has(name)) return 'frames';
  if (BATCH.has(name)) return 'batch';
  if (UPSCALE.has(name)) return 'upscale';
  return undefined;
}

/** Owner overrides on top of deployment defaults (unset fields keep the default). */
export const withOverrides = (
  defaults: Readonly<ResourceLimits>,
  overrides: Partial<ResourceLimits> | undefined,
): ResourceLimits => ({ ...defaults, ...(overrides ?? {}) });
