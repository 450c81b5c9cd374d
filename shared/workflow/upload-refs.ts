/**
 * Input images in a workflow: any input whose value is the string `upload:<uploadId>` refers to an
 * image the caller uploaded through `POST /v1/uploads`. Submit checks each one belongs to the caller;
 * the dispatcher copies it to ComfyUI and rewrites the value to the name ComfyUI gave it.
 */
import { UUID_RE } from '../domain/ids.js';
import type { ComfyWorkflow } from '../domain/task.js';

const UPLOAD_REF_PREFIX = 'upload:';

/** The reference string for an upload id. */
export const uploadRef = (uploadId: string): string => `${UPLOAD_REF_PREFIX}${uploadId}`;

/** The upload id of a reference, undefined for any other value (including malformed references). */
export function parseUploadRef(value: unknown): string | undefined {
  if (typeof value !== 'string' || !value.startsWith(UPLOAD_REF_PREFIX)) return undefined;
  const id = value.slice(UPLOAD_REF_PREFIX.length);
  return UUID_RE.test(id) ? id : undefined;
}

/** True for a string that looks like a reference (`upload:` prefix), well formed or not. */
export const looksLikeUploadRef = (value: unknown): boolean =>
  typeof value === 'string' && value.startsWith(UPLOAD_REF_PREFIX);

/** Every upload id referenced by an input of the workflow, each once, in order of appearance. */
export function collectUploadRefs(workflow: ComfyWorkflow): string[] {
  const ids = new Set<string>();
  for (const node of Object.values(workflow)) {
    for (const value of Object.values(node.inputs)) {
      const id = parseUploadRef(value);
      if (id) ids.add(id);
    }
  }
  return [...ids];
}

/**
 * A copy of the workflow with each `upload:<id>` input replaced by `names.get(id)` (the file name
 * ComfyUI returned from /upload/image). References without a name, inputs that merely contain
 * `upload:` and nodes without references are left as they are (unchanged nodes are the same
 * objects); the input workflow is never mutated.
 */
export function replaceUploadRefs(
  workflow: ComfyWorkflow,
  names: ReadonlyMap<string, string>,
): ComfyWorkflow {
  const out: ComfyWorkflow = {};
  for (const [nodeId, node] of Object.entries(workflow)) {
    let inputs = node.inputs;
    for (const [name, value] of Object.entries(node.inputs)) {
      const id = parseUploadRef(value);
      const replacement = id === undefined ? undefined : names.get(id);
      if (replacement === undefined) continue;
      if (inputs === node.inputs) inputs = { ...node.inputs };
      inputs[name] = replacement;
    }
    out[nodeId] = inputs === node.inputs ? node : { ...node, inputs };
  }
  return out;
}
